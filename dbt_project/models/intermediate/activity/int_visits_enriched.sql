-- One row per visit (institution_code, visit_type, visit_id): the latest delivery of the visit,
-- dated by the day that decides its month (discharge_date for inpatient stays, else visit_date),
-- with the institution period describing the institution on that day.

with visits as (

    select * from {{ ref('stg_lake__visits') }}

),

periods as (

    select * from {{ ref('int_institution_periods_unioned') }}

),

latest_delivery as (

    select
        visits.*,
        row_number() over (
            partition by visits.institution_code, visits.visit_type, visits.visit_id
            order by visits.business_date desc, visits.loaded_at desc, visits.file_sha256 desc,
                visits.source_row_number desc
        ) as delivery_rank
    from visits

),

dated as (

    select
        latest_delivery.*,
        case
            when latest_delivery.visit_type = 'inpatient'
                then coalesce(latest_delivery.discharge_date, latest_delivery.visit_date)
            else latest_delivery.visit_date
        end as record_date
    from latest_delivery
    where latest_delivery.delivery_rank = 1

),

with_period as (

    select
        dated.*,
        periods.institution_period_key,
        periods.tier as institution_tier,
        coalesce(periods.is_primary_care, false) as is_primary_care,
        row_number() over (
            partition by dated.institution_code, dated.visit_type, dated.visit_id
            order by {{ institution_period_preference('dated.record_date', 'periods') }}
        ) as period_rank
    from dated
    left join periods
        on periods.institution_code = dated.institution_code

)

select
    {{ generate_surrogate_key(['institution_code', 'visit_type', 'visit_id']) }} as visit_key,
    visit_id,
    institution_code,
    institution_period_key,
    institution_tier,
    is_primary_care,
    visit_type,
    -- 诊疗人次 (visit count): outpatient, emergency and home visits
    visit_type in ('outpatient', 'emergency', 'home') as is_counted_visit,
    patient_key,
    residence_region_code,
    visit_date,
    discharge_date,
    record_date,
    {{ month_start('record_date') }} as record_month,
    department,
    diagnosis_code,
    total_cost,
    business_date,
    source_code,
    file_sha256

from with_period
where period_rank = 1
