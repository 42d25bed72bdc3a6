-- grain: one row per calendar day, whole years from 1 January of the earliest date the
-- warehouse holds (records, admissions, business dates) to 31 December of the latest.

with bounds as (

    select * from {{ ref('int_activity_dates_bounded') }}

),

day_offsets as (

    -- up to about 110 years of days
    {{ dbt.generate_series(40000) }}

),

days as (

    select
        cast(
            {{ dbt.dateadd('day', 'day_offsets.generated_number - 1', year_start('bounds.first_date')) }}
            as date
        ) as date_day,
        cast({{ dbt.dateadd('day', '-1', dbt.dateadd('year', '1', year_start('bounds.last_date'))) }} as date)
            as last_day
    from bounds
    cross join day_offsets
    where bounds.first_date is not null

)

select
    date_day,
    cast(extract(year from date_day) as {{ dbt.type_int() }}) as year,
    cast(extract(quarter from date_day) as {{ dbt.type_int() }}) as quarter_of_year,
    cast(extract(month from date_day) as {{ dbt.type_int() }}) as month_of_year,
    cast(extract(day from date_day) as {{ dbt.type_int() }}) as day_of_month,
    cast({{ iso_day_of_week('date_day') }} as {{ dbt.type_int() }}) as iso_day_of_week,
    {{ month_start('date_day') }} as month_start,
    {{ month_end('date_day') }} as month_end,
    {{ year_start('date_day') }} as year_start

from days
where date_day <= last_day
