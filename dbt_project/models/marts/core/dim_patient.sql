-- grain: one row per pseudonymised patient (patient_key) seen in any extract. No clear
-- identifiers: the key is the ingest's keyed HMAC pseudonym; only sex, birth year and residence.

with patients as (

    select * from {{ ref('int_patients_unioned') }}

)

select
    patient_key,
    sex,
    case sex when '1' then '男' when '2' then '女' else '未知' end as sex_name_zh,
    birth_year,
    residence_region_code,
    first_record_date,
    last_record_date

from patients
