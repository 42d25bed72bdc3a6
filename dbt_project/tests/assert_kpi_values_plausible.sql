{{ config(severity='warn') }}
-- Plausibility of results (as Tuva's reasonable ranges): a value outside the
-- registry's band for a month whose denominator is large enough to judge is worth a look - a
-- missing delivery, a join gone wrong, a coding change at a source. A warning, not an error.
select
    kpi_monthly.consortium_id,
    kpi_monthly.month,
    kpi_monthly.kpi_id,
    kpi_monthly.value,
    kpi_monthly.denominator,
    registry.plausible_min,
    registry.plausible_max
from {{ ref('kpi_monthly') }} as kpi_monthly
inner join {{ ref('kpi_registry') }} as registry
    on registry.kpi_id = kpi_monthly.kpi_id
where kpi_monthly.value is not null
  and kpi_monthly.denominator >= coalesce(registry.plausibility_min_denominator, 0)
  and (
    (registry.plausible_min is not null and kpi_monthly.value < registry.plausible_min)
    or (registry.plausible_max is not null and kpi_monthly.value > registry.plausible_max)
  )
