-- One registry, no silent gaps: every KPI of kpi_registry is computed by one of the KPI models
-- (on a non-empty grid), and no KPI model computes an id the registry lacks (the relationships
-- tests on the KPI models cover the second half).
with computed as (

    select distinct kpi_id from {{ ref('int_kpi_visits') }} where grain = 'consortium'
    union
    select distinct kpi_id from {{ ref('int_kpi_referrals') }} where grain = 'consortium'
    union
    select distinct kpi_id from {{ ref('int_kpi_claims') }} where grain = 'consortium'
    union
    select distinct kpi_id from {{ ref('int_kpi_public_health') }} where grain = 'consortium'
    union
    select distinct kpi_id from {{ ref('int_kpi_contracts') }} where grain = 'consortium'

),

grid_is_empty as (

    select count(*) = 0 as is_empty from {{ ref('int_consortium_months_spined') }}

)

select registry.kpi_id
from {{ ref('kpi_registry') }} as registry
cross join grid_is_empty
where not grid_is_empty.is_empty
  and registry.kpi_id not in (select kpi_id from computed)
