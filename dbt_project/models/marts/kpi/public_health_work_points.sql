-- grain: one row per (consortium_id, month, institution_code, service_item) with any service:
-- public-health work points (工分, Shenzhen's 工分制) of the consortium's institutions - service
-- records at an institution on days it is lead or member, times the item's points of
-- reference/work_point_weights.csv; points_ytd from 1 January. Empty without that file.

with services as (

    select * from {{ ref('fct_public_health_services') }}

),

memberships as (

    select * from {{ ref('int_memberships_filtered') }}

),

weights as (

    select * from {{ ref('stg_reference__work_point_weights') }}

),

member_services as (

    -- overlapping periods of one institution count once
    select distinct
        memberships.consortium_id,
        services.service_key,
        services.institution_code,
        services.service_item,
        {{ month_start('services.service_date') }} as month_start
    from services
    inner join memberships
        on memberships.institution_code = services.institution_code
        and services.service_date between memberships.period_start and memberships.period_end

),

monthly as (

    select
        member_services.consortium_id,
        member_services.month_start,
        member_services.institution_code,
        member_services.service_item,
        count(*) as services,
        count(*) * weights.points as points
    from member_services
    inner join weights
        on weights.service_item = member_services.service_item
    group by
        member_services.consortium_id,
        member_services.month_start,
        member_services.institution_code,
        member_services.service_item,
        weights.points

)

select
    consortium_id,
    month_start as month,
    institution_code,
    service_item,
    services,
    cast(points as {{ type_double() }}) as points,
    cast(sum(points) over (
        partition by consortium_id, institution_code, service_item, {{ year_start('month_start') }}
        order by month_start
        rows between unbounded preceding and current row
    ) as {{ type_double() }}) as points_ytd

from monthly
