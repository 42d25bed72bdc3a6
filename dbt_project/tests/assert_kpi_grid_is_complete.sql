-- The KPI grid: every consortium has a row for every KPI and every month from the first to the last
-- month with any loaded record. With the unique (consortium, month, kpi) test this proves the
-- grid complete: the row count must be consortia x KPIs x months, and the months must span
-- exactly the record months.
with bounds as (

    select * from {{ ref('int_activity_dates_bounded') }}

),

expected as (

    select
        (select count(*) from {{ ref('dim_consortium') }})
        * (select count(*) from {{ ref('kpi_definitions') }})
        * case
            when bounds.first_record_month is null then 0
            else {{ dbt.datediff('bounds.first_record_month', 'bounds.last_record_month', 'month') }} + 1  -- noqa: LT05
        end as expected_rows,
        bounds.first_record_month,
        bounds.last_record_month
    from bounds

),

actual as (

    select
        count(*) as actual_rows,
        min(month) as first_month,
        max(month) as last_month
    from {{ ref('kpi_monthly') }}

)

select *
from expected
cross join actual
where expected.expected_rows <> actual.actual_rows
   or (actual.actual_rows > 0 and (
        actual.first_month <> expected.first_record_month
        or actual.last_month <> expected.last_record_month
   ))
