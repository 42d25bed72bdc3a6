-- primary_care_visit_share on the consortium x month grid: visit count (outpatient,
-- emergency, home) at the consortium's primary-care institutions over visit count at all its
-- institutions, an institution counting when it is lead or member on the visit date.

with spine as (

    select * from {{ ref('int_consortium_months_spined') }}

),

visits as (

    select * from {{ ref('fct_visits') }}

),

memberships as (

    select * from {{ ref('int_memberships_filtered') }}

),

attributed as (

    -- one row per (consortium, visit); overlapping periods of one institution count once
    select
        memberships.consortium_id,
        visits.record_month as month_start,
        visits.visit_key,
        {{ dbt.bool_or('memberships.is_primary_care') }} as is_primary_care
    from visits
    inner join memberships
        on memberships.institution_code = visits.institution_code
        and visits.record_date between memberships.period_start and memberships.period_end
    where visits.is_counted_visit
    group by memberships.consortium_id, visits.record_month, visits.visit_key

),

aggregated as (

    select
        consortium_id,
        month_start,
        sum(case when is_primary_care then 1 else 0 end) as primary_care_visits,
        count(*) as all_visits
    from attributed
    group by consortium_id, month_start

)

select
    spine.consortium_id,
    spine.month_start,
    'primary_care_visit_share' as kpi_id,
    cast(coalesce(aggregated.primary_care_visits, 0) as {{ type_double() }}) as numerator,
    cast(coalesce(aggregated.all_visits, 0) as {{ type_double() }}) as denominator

from spine
left join aggregated
    on aggregated.consortium_id = spine.consortium_id
    and aggregated.month_start = spine.month_start
