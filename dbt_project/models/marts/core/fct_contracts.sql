-- grain: one row per family-doctor contract (contract_id), in its latest delivered state. A
-- table rebuilt every night: a contract changes after it was signed (renewed, terminated), so
-- its row is not history that grows. Active on day d: start_date <= d <= end_date and not
-- terminated_date <= d.

with contracts as (

    select * from {{ ref('int_contracts_latest') }}

)

select
    contract_key,
    contract_id,
    institution_code,
    team_code,
    patient_key,
    sign_date,
    sign_month,
    start_date,
    end_date,
    status,
    terminated_date,
    key_populations,
    has_key_population,
    hospital_codes,
    hospital_code_1,
    hospital_code_2,
    state_count,
    first_business_date,
    business_date,
    source_code,
    file_sha256

from contracts
