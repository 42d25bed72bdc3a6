{#-
    The public-health KPIs, all year to date (1 January of the month's year through the month's
    last day): public_health_task_completion, hypertension_control_rate, diabetes_control_rate
    and chronic_managed_inpatient_rate. A service counts for a consortium when its institution
    is lead or member of the consortium on the service date. By institution, a person counts at
    each institution where they qualify (the control rates and chronic_managed_inpatient_rate
    are over distinct people, so their parts may add up to more than the consortium's).
-#}
{#- grain: one row per (grain, consortium_id, month_start, kpi_id, institution_code). The rule
    below is written once and rendered at each grain of var kpi_grains (kpi_rule_at_grains):
    `consortium` for kpi_monthly, `institution` for kpi_institution_monthly. -#}
{% call(grain) kpi_rule_at_grains() %}

with spine as (

    select * from {{ ref('int_consortium_months_spined') }}

),

services as (

    select * from {{ ref('fct_public_health_services') }}

),

memberships as (

    select * from {{ ref('int_memberships_filtered') }}

),

targets as (

    select * from {{ ref('stg_reference__public_health_targets') }}

),

member_services as (

    select distinct
        memberships.consortium_id,
        services.service_key,
        services.institution_code,
        services.service_id,
        services.service_item,
        services.service_date,
        services.patient_key,
        services.systolic_bp,
        services.diastolic_bp,
        services.fasting_glucose
    from services
    inner join memberships
        on memberships.institution_code = services.institution_code
        and services.service_date between memberships.period_start and memberships.period_end

),

-- public_health_task_completion ------------------------------------------------------------

members_year_to_date as (

    -- lead or member on at least one day from 1 January through the month's end
    select distinct
        spine.consortium_id,
        spine.month_start,
        memberships.institution_code
    from spine
    inner join memberships
        on memberships.consortium_id = spine.consortium_id
        and memberships.period_start <= spine.month_end
        and memberships.period_end >= spine.year_start

),

targets_in_scope as (

    select
        members_year_to_date.consortium_id,
        members_year_to_date.month_start,
        targets.institution_code,
        targets.service_item,
        targets.target_count
    from members_year_to_date
    inner join spine
        on spine.consortium_id = members_year_to_date.consortium_id
        and spine.month_start = members_year_to_date.month_start
    inner join targets
        on targets.institution_code = members_year_to_date.institution_code
        and targets.target_year = spine.year

),

people_served as (

    select
        targets_in_scope.consortium_id,
        targets_in_scope.month_start,
        targets_in_scope.institution_code,
        targets_in_scope.service_item,
        targets_in_scope.target_count,
        count(distinct member_services.patient_key) as people_served
    from targets_in_scope
    inner join spine
        on spine.consortium_id = targets_in_scope.consortium_id
        and spine.month_start = targets_in_scope.month_start
    left join member_services
        on member_services.consortium_id = targets_in_scope.consortium_id
        and member_services.institution_code = targets_in_scope.institution_code
        and member_services.service_item = targets_in_scope.service_item
        and member_services.service_date between spine.year_start and spine.month_end
    group by
        targets_in_scope.consortium_id,
        targets_in_scope.month_start,
        targets_in_scope.institution_code,
        targets_in_scope.service_item,
        targets_in_scope.target_count

),

task_completion as (

    select
        consortium_id,
        month_start,
        {{ kpi_grain_columns(grain) }}
        sum(
            case when people_served < target_count then people_served else target_count end
        ) as completed,
        sum(target_count) as targeted
    from people_served
    group by consortium_id, month_start {{ kpi_grain_group(grain) }}

),

-- hypertension_control_rate / diabetes_control_rate -----------------------------------------

measured_followups as (

    select
        spine.consortium_id,
        spine.month_start,
        member_services.institution_code,
        member_services.service_item,
        member_services.patient_key,
        case
            when member_services.service_item = 'hypertension_followup'
                then member_services.systolic_bp < {{ var('hypertension_controlled_below')['systolic_bp'] }}
                    and member_services.diastolic_bp < {{ var('hypertension_controlled_below')['diastolic_bp'] }}
            else member_services.fasting_glucose < {{ var('diabetes_controlled_glucose_below') }}
        end as is_controlled,
        row_number() over (
            -- by institution, a person's latest follow-up there decides (they count at each)
            partition by spine.consortium_id, spine.month_start, member_services.service_item,
                member_services.patient_key {{ kpi_grain_group(grain, 'member_services.institution_code') }}
            order by member_services.service_date desc, member_services.service_id desc,
                member_services.institution_code desc
        ) as recency_rank
    from spine
    inner join member_services
        on member_services.consortium_id = spine.consortium_id
        and member_services.service_date between spine.year_start and spine.month_end
    where (
            member_services.service_item = 'hypertension_followup'
            and member_services.systolic_bp is not null
            and member_services.diastolic_bp is not null
        )
        or (
            member_services.service_item = 'diabetes_followup'
            and member_services.fasting_glucose is not null
        )

),

control as (

    select
        consortium_id,
        month_start,
        {{ kpi_grain_columns(grain) }}
        sum(case when service_item = 'hypertension_followup' and is_controlled then 1 else 0 end)
            as hypertension_controlled,
        sum(case when service_item = 'hypertension_followup' then 1 else 0 end)
            as hypertension_measured,
        sum(case when service_item = 'diabetes_followup' and is_controlled then 1 else 0 end)
            as diabetes_controlled,
        sum(case when service_item = 'diabetes_followup' then 1 else 0 end)
            as diabetes_measured
    from measured_followups
    where recency_rank = 1
    group by consortium_id, month_start {{ kpi_grain_group(grain) }}

),

-- chronic_managed_inpatient_rate --------------------------------------------------------------

chronic_managed as (

    -- people with a year-to-date hypertension or diabetes follow-up at the consortium
    select distinct
        spine.consortium_id,
        spine.month_start,
        spine.year_start,
        spine.month_end,
        {{ kpi_grain_columns(grain, 'member_services.institution_code') }}
        member_services.patient_key
    from spine
    inner join member_services
        on member_services.consortium_id = spine.consortium_id
        and member_services.service_date between spine.year_start and spine.month_end
    where member_services.service_item in ('hypertension_followup', 'diabetes_followup')

),

inpatient_settlements as (

    -- live inpatient settlements anywhere (pharmacies excluded, as from every claims KPI)
    select distinct patient_key, settlement_date
    from {{ ref('fct_claims') }}
    where visit_type = 'inpatient' and not is_pharmacy

),

chronic_flagged as (

    -- one row per person: hospitalised when a live inpatient settlement falls year to date
    select
        chronic_managed.consortium_id,
        chronic_managed.month_start,
        {{ kpi_grain_columns(grain, 'chronic_managed.institution_code') }}
        chronic_managed.patient_key,
        max(case when inpatient_settlements.patient_key is null then 0 else 1 end) as is_hospitalised
    from chronic_managed
    left join inpatient_settlements
        on inpatient_settlements.patient_key = chronic_managed.patient_key
        and inpatient_settlements.settlement_date
            between chronic_managed.year_start and chronic_managed.month_end
    group by chronic_managed.consortium_id, chronic_managed.month_start,
        chronic_managed.patient_key {{ kpi_grain_group(grain, 'chronic_managed.institution_code') }}

),

chronic_hospitalised as (

    select
        consortium_id,
        month_start,
        {{ kpi_grain_columns(grain) }}
        count(*) as chronic_people,
        sum(is_hospitalised) as chronic_people_hospitalised
    from chronic_flagged
    group by consortium_id, month_start {{ kpi_grain_group(grain) }}

),

on_grid as (
    {{ kpi_on_grid(grain, 'task_completion', ['completed', 'targeted']) }}
),

control_on_grid as (
    {{ kpi_on_grid(grain, 'control', ['hypertension_controlled', 'hypertension_measured', 'diabetes_controlled', 'diabetes_measured']) }}
),

chronic_on_grid as (
    {{ kpi_on_grid(grain, 'chronic_hospitalised', ['chronic_people_hospitalised', 'chronic_people']) }}
)

{{ kpi_parts(grain, 'on_grid', 'public_health_task_completion', 'completed', 'targeted') }}
union all
{{ kpi_parts(grain, 'control_on_grid', 'hypertension_control_rate', 'hypertension_controlled', 'hypertension_measured') }}
union all
{{ kpi_parts(grain, 'control_on_grid', 'diabetes_control_rate', 'diabetes_controlled', 'diabetes_measured') }}
union all
{{ kpi_parts(grain, 'chronic_on_grid', 'chronic_managed_inpatient_rate', 'chronic_people_hospitalised', 'chronic_people') }}

{% endcall %}
