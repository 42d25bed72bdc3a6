-- kpi_institution_monthly reconciles with kpi_monthly: for every KPI whose parts are sums over
-- records (kpi_definitions.parts_add_up), the institutions' numerators and denominators add up
-- to the consortium's, month by month (to a relative 1e-9: sums of doubles in another order).
with institution_sums as (

    select
        consortium_id,
        month,
        kpi_id,
        sum(numerator) as numerator,
        sum(denominator) as denominator
    from {{ ref('kpi_institution_monthly') }}
    group by consortium_id, month, kpi_id

)

select
    kpi_monthly.consortium_id,
    kpi_monthly.month,
    kpi_monthly.kpi_id,
    kpi_monthly.numerator,
    institution_sums.numerator as institution_numerator,
    kpi_monthly.denominator,
    institution_sums.denominator as institution_denominator
from {{ ref('kpi_monthly') }} as kpi_monthly
inner join {{ ref('kpi_definitions') }} as definitions
    on definitions.kpi_id = kpi_monthly.kpi_id
left join institution_sums
    on institution_sums.consortium_id = kpi_monthly.consortium_id
    and institution_sums.month = kpi_monthly.month
    and institution_sums.kpi_id = kpi_monthly.kpi_id
where definitions.parts_add_up
  and (
    abs(kpi_monthly.numerator - coalesce(institution_sums.numerator, 0))
        > 1e-9 * (1 + abs(kpi_monthly.numerator))
    or abs(kpi_monthly.denominator - coalesce(institution_sums.denominator, 0))
        > 1e-9 * (1 + abs(kpi_monthly.denominator))
  )
