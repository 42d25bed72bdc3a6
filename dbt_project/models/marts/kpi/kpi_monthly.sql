-- grain: one row per (consortium_id, month, kpi_id). Every consortium has a row for every KPI of
-- the registry and every month from the first to the last month with any loaded record, data or
-- not (numerator 0, value NULL when the denominator is 0).

with grid as (

    select
        spine.consortium_id,
        spine.month_start,
        spine.year,
        registry.kpi_id,
        registry.better,
        registry.extract_kind,
        registry.default_target,
        registry.display_order
    from {{ ref('int_consortium_months_spined') }} as spine
    cross join {{ ref('kpi_registry') }} as registry

),

computed as (

    select consortium_id, month_start, kpi_id, numerator, denominator
    from {{ ref('int_kpi_visits') }}
    where grain = 'consortium'
    union all
    select consortium_id, month_start, kpi_id, numerator, denominator
    from {{ ref('int_kpi_referrals') }}
    where grain = 'consortium'
    union all
    select consortium_id, month_start, kpi_id, numerator, denominator
    from {{ ref('int_kpi_claims') }}
    where grain = 'consortium'
    union all
    select consortium_id, month_start, kpi_id, numerator, denominator
    from {{ ref('int_kpi_public_health') }}
    where grain = 'consortium'
    union all
    select consortium_id, month_start, kpi_id, numerator, denominator
    from {{ ref('int_kpi_contracts') }}
    where grain = 'consortium'

),

targets as (

    select * from {{ ref('stg_reference__kpi_targets') }}

),

completeness as (

    select * from {{ ref('int_source_completeness_computed') }}

),

valued as (

    select
        grid.consortium_id,
        grid.month_start,
        grid.kpi_id,
        grid.display_order,
        cast(coalesce(computed.numerator, 0) as {{ type_double() }}) as numerator,
        cast(coalesce(computed.denominator, 0) as {{ type_double() }}) as denominator,
        case
            when coalesce(computed.denominator, 0) = 0 then null
            else cast(computed.numerator as {{ type_double() }})
                / cast(computed.denominator as {{ type_double() }})
        end as value,
        cast(coalesce(targets.target, grid.default_target) as {{ type_double() }}) as target,
        grid.better,
        case
            when grid.extract_kind = 'claims' then completeness.claims_completeness
            else completeness.institution_completeness
        end as source_completeness
    from grid
    left join computed
        on computed.consortium_id = grid.consortium_id
        and computed.month_start = grid.month_start
        and computed.kpi_id = grid.kpi_id
    left join targets
        on targets.kpi_id = grid.kpi_id
        and targets.consortium_id = grid.consortium_id
        and targets.target_year = grid.year
    left join completeness
        on completeness.consortium_id = grid.consortium_id
        and completeness.month_start = grid.month_start

)

select
    consortium_id,
    month_start as month,
    kpi_id,
    numerator,
    denominator,
    value,
    target,
    better,
    case
        when value is null or target is null then null
        when better = 'higher' then value >= target
        else value <= target
    end as meets_target,
    source_completeness

from valued
order by consortium_id, month_start, display_order
