-- One row per contract_id: its latest delivered state (latest business_date, ties: the later
-- delivery), which decides every day of the contract, earlier months included. The lists the
-- ingest joined with ';' are split here: a renewal under a new contract_id is another row.

with states as (

    select * from {{ ref('stg_lake__contracts') }}

),

ranked as (

    select
        states.*,
        row_number() over (
            partition by states.contract_id
            order by {{ latest_delivery_first('states') }}
        ) as state_rank,
        count(*) over (partition by states.contract_id) as state_count,
        min(states.business_date) over (partition by states.contract_id) as first_business_date
    from states

)

select
    {{ generate_surrogate_key(['contract_id']) }} as contract_key,
    contract_id,
    institution_code,
    team_code,
    patient_key,
    sign_date,
    {{ month_start('sign_date') }} as sign_month,
    start_date,
    end_date,
    status,
    -- the day from which the contract no longer counts as signed (NULL: never terminated)
    case when status = 'terminated' then terminated_date end as terminated_date,
    key_populations,
    key_populations is not null as has_key_population,
    hospital_codes,
    nullif({{ dbt.split_part('hospital_codes', "';'", 1) }}, '') as hospital_code_1,
    nullif({{ dbt.split_part('hospital_codes', "';'", 2) }}, '') as hospital_code_2,
    state_count,
    first_business_date,
    business_date,
    source_code,
    file_sha256

from ranked
where state_rank = 1
