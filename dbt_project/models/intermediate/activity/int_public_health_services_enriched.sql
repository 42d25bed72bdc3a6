-- One row per public-health service record (institution_code, service_id): its latest delivery,
-- with the institution period describing the institution on the service date.

with services as (

    select * from {{ ref('stg_lake__public_health_services') }}

),

periods as (

    select * from {{ ref('int_institution_periods_unioned') }}

),

latest_delivery as (

    select
        services.*,
        row_number() over (
            partition by services.institution_code, services.service_id
            order by services.business_date desc, services.loaded_at desc, services.file_sha256 desc,
                services.source_row_number desc
        ) as delivery_rank
    from services

),

with_period as (

    select
        latest_delivery.*,
        periods.institution_period_key,
        row_number() over (
            partition by latest_delivery.institution_code, latest_delivery.service_id
            order by {{ institution_period_preference('latest_delivery.service_date', 'periods') }}
        ) as period_rank
    from latest_delivery
    left join periods
        on periods.institution_code = latest_delivery.institution_code
    where latest_delivery.delivery_rank = 1

)

select
    {{ generate_surrogate_key(['institution_code', 'service_id']) }} as service_key,
    service_id,
    institution_code,
    institution_period_key,
    patient_key,
    service_date,
    {{ month_start('service_date') }} as service_month,
    service_item,
    systolic_bp,
    diastolic_bp,
    fasting_glucose,
    business_date,
    source_code,
    file_sha256

from with_period
where period_rank = 1
