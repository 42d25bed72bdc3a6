{#-
    primary_care_visit_share and tcm_visit_share: visit count (outpatient, emergency, home) at
    the consortium's primary-care (TCM) institutions over visit count at all its institutions,
    an institution counting when it is lead or member on the visit date. A visit at a non-TCM
    institution counts as TCM when its department contains 中医.
-#}
{#- grain: one row per (grain, consortium_id, month_start, kpi_id, institution_code). The rule
    below is written once and rendered at each grain of var kpi_grains (kpi_rule_at_grains):
    `consortium` for kpi_monthly, `institution` for kpi_institution_monthly. -#}
{% call(grain) kpi_rule_at_grains() %}

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
        visits.institution_code,
        visits.visit_key,
        {{ dbt.bool_or('memberships.is_primary_care') }} as is_primary_care,
        {{ dbt.bool_or('memberships.is_tcm') }} as is_tcm_institution,
        max(coalesce({{ dbt.position("'中医'", 'visits.department') }}, 0)) > 0 as is_tcm_department
    from visits
    inner join memberships
        on memberships.institution_code = visits.institution_code
        and visits.record_date between memberships.period_start and memberships.period_end
    where visits.is_counted_visit
    group by memberships.consortium_id, visits.record_month, visits.institution_code, visits.visit_key

),

aggregated as (

    select
        consortium_id,
        month_start,
        {{ kpi_grain_columns(grain) }}
        sum(case when is_primary_care then 1 else 0 end) as primary_care_visits,
        sum(case when is_tcm_institution or is_tcm_department then 1 else 0 end) as tcm_visits,
        count(*) as all_visits
    from attributed
    group by consortium_id, month_start {{ kpi_grain_group(grain) }}

),

on_grid as (
    {{ kpi_on_grid(grain, 'aggregated', ['primary_care_visits', 'tcm_visits', 'all_visits']) }}
)

{{ kpi_parts(grain, 'on_grid', 'primary_care_visit_share', 'primary_care_visits', 'all_visits') }}
union all
{{ kpi_parts(grain, 'on_grid', 'tcm_visit_share', 'tcm_visits', 'all_visits') }}

{% endcall %}
