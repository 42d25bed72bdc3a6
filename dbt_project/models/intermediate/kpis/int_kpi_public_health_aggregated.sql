-- The three public-health KPIs on the consortium x month grid, all year to date
-- (1 January of the month's year through the month's last day). A service counts for a
-- consortium when its institution is lead or member of the consortium on the service date.

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
        sum(
            case when people_served < target_count then people_served else target_count end
        ) as completed,
        sum(target_count) as targeted
    from people_served
    group by consortium_id, month_start

),

-- hypertension_control_rate / diabetes_control_rate -----------------------------------------

measured_followups as (

    select
        spine.consortium_id,
        spine.month_start,
        member_services.service_item,
        member_services.patient_key,
        case
            when member_services.service_item = 'hypertension_followup'
                then member_services.systolic_bp < 140 and member_services.diastolic_bp < 90
            else member_services.fasting_glucose < 7.0
        end as is_controlled,
        row_number() over (
            partition by spine.consortium_id, spine.month_start, member_services.service_item,
                member_services.patient_key
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
    group by consortium_id, month_start

),

on_grid as (

    select
        spine.consortium_id,
        spine.month_start,
        cast(coalesce(task_completion.completed, 0) as {{ type_double() }}) as completed,
        cast(coalesce(task_completion.targeted, 0) as {{ type_double() }}) as targeted,
        cast(coalesce(control.hypertension_controlled, 0) as {{ type_double() }})
            as hypertension_controlled,
        cast(coalesce(control.hypertension_measured, 0) as {{ type_double() }})
            as hypertension_measured,
        cast(coalesce(control.diabetes_controlled, 0) as {{ type_double() }})
            as diabetes_controlled,
        cast(coalesce(control.diabetes_measured, 0) as {{ type_double() }}) as diabetes_measured
    from spine
    left join task_completion
        on task_completion.consortium_id = spine.consortium_id
        and task_completion.month_start = spine.month_start
    left join control
        on control.consortium_id = spine.consortium_id
        and control.month_start = spine.month_start

)

select consortium_id, month_start, 'public_health_task_completion' as kpi_id,
    completed as numerator, targeted as denominator
from on_grid

union all

select consortium_id, month_start, 'hypertension_control_rate' as kpi_id,
    hypertension_controlled as numerator, hypertension_measured as denominator
from on_grid

union all

select consortium_id, month_start, 'diabetes_control_rate' as kpi_id,
    diabetes_controlled as numerator, diabetes_measured as denominator
from on_grid
