-- signing_by_population_group and the three signing-rate KPIs count the same people against
-- the same populations: resident = family_doctor_signing_rate, key_population =
-- key_population_signing_rate, ltc = ltc_signing_rate.
with groups as (

    select
        consortium_id,
        month,
        case population_group
            when 'resident' then 'family_doctor_signing_rate'
            when 'key_population' then 'key_population_signing_rate'
            when 'ltc' then 'ltc_signing_rate'
        end as kpi_id,
        signed,
        population
    from {{ ref('signing_by_population_group') }}
    where population_group in ('resident', 'key_population', 'ltc')

)

select groups.*, kpi_monthly.numerator, kpi_monthly.denominator
from groups
inner join {{ ref('kpi_monthly') }} as kpi_monthly
    on kpi_monthly.consortium_id = groups.consortium_id
    and kpi_monthly.month = groups.month
    and kpi_monthly.kpi_id = groups.kpi_id
where kpi_monthly.numerator <> groups.signed
   or kpi_monthly.denominator <> groups.population
