-- grain: one row per KPI. Published from the registry seed kpi_registry, never retyped.

with registry as (

    select * from {{ ref('kpi_registry') }}

)

select
    kpi_id,
    name_zh,
    name_en,
    numerator,
    denominator,
    formula,
    better,
    unit,
    default_target,
    source,
    extract_kind,
    parts_add_up,
    plausibility_min_denominator as min_denominator,
    display_order

from registry
