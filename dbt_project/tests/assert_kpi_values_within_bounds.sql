-- Hard bounds of every KPI value, read from the registry: a share outside [0, 1], a negative
-- ratio or cost is a bug, not data.
select
    kpi_monthly.consortium_id,
    kpi_monthly.month,
    kpi_monthly.kpi_id,
    kpi_monthly.value,
    registry.value_min,
    registry.value_max
from {{ ref('kpi_monthly') }} as kpi_monthly
inner join {{ ref('kpi_registry') }} as registry
    on registry.kpi_id = kpi_monthly.kpi_id
where kpi_monthly.value is not null
  and (
    (registry.value_min is not null and kpi_monthly.value < registry.value_min)
    or (registry.value_max is not null and kpi_monthly.value > registry.value_max)
  )
