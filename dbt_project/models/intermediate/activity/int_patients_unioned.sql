-- One row per pseudonymised patient seen in any extract: sex and birth year from the most
-- recently delivered record, residence region from the latest visit. No clear identifiers exist
-- anywhere in the warehouse (patient_key is the ingest's HMAC pseudonym).

with records as (

    select patient_key, sex, birth_date, business_date, loaded_at, visit_date as record_date
    from {{ ref('stg_lake__visits') }}
    union all
    select patient_key, sex, birth_date, business_date, loaded_at, referral_date
    from {{ ref('stg_lake__referrals') }}
    union all
    select patient_key, sex, birth_date, business_date, loaded_at, settlement_date
    from {{ ref('stg_lake__claims') }}
    union all
    select patient_key, sex, birth_date, business_date, loaded_at, service_date
    from {{ ref('stg_lake__public_health_services') }}

),

visits as (

    select * from {{ ref('stg_lake__visits') }}

),

latest_record as (

    select
        records.*,
        row_number() over (
            partition by records.patient_key
            order by records.business_date desc, records.loaded_at desc, records.record_date desc
        ) as record_rank,
        min(records.record_date) over (partition by records.patient_key) as first_record_date,
        max(records.record_date) over (partition by records.patient_key) as last_record_date
    from records
    where records.patient_key is not null

),

latest_residence as (

    select
        visits.patient_key,
        visits.residence_region_code,
        row_number() over (
            partition by visits.patient_key
            order by visits.visit_date desc, visits.business_date desc, visits.loaded_at desc
        ) as visit_rank
    from visits
    where visits.residence_region_code is not null

)

select
    latest_record.patient_key,
    latest_record.sex,
    cast(extract(year from latest_record.birth_date) as {{ dbt.type_int() }}) as birth_year,
    latest_residence.residence_region_code,
    latest_record.first_record_date,
    latest_record.last_record_date

from latest_record
left join latest_residence
    on latest_residence.patient_key = latest_record.patient_key
    and latest_residence.visit_rank = 1
where latest_record.record_rank = 1
