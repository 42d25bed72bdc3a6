-- One row per consortium and month, every month from the first to the last month with any
-- loaded record: the grid every KPI is computed on.

with bounds as (

    select * from {{ ref('int_activity_dates_bounded') }}

),

consortia as (

    select * from {{ ref('stg_reference__consortia') }}

),

month_offsets as (

    -- up to 100 years of months; records lie within 366 days of their business date
    {{ dbt.generate_series(1200) }}

),

months as (

    select
        cast(
            {{ dbt.dateadd('month', 'month_offsets.generated_number - 1', 'bounds.first_record_month') }}
            as date
        ) as month_start,
        bounds.last_record_month
    from bounds
    cross join month_offsets
    where bounds.first_record_month is not null

)

select
    consortia.consortium_id,
    consortia.region_code,
    {{ region_level('consortia.region_code') }} as region_level,
    {{ region_prefix('consortia.region_code', region_level('consortia.region_code')) }} as region_prefix,
    months.month_start,
    {{ month_end('months.month_start') }} as month_end,
    {{ year_start('months.month_start') }} as year_start,
    cast(extract(year from months.month_start) as {{ dbt.type_int() }}) as year

from months
cross join consortia
where months.month_start <= months.last_record_month
