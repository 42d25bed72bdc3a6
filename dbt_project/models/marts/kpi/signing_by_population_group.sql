-- grain: one row per (consortium_id, month, population_group): people signed on the month's last
-- day at the consortium's primary-care institutions (int_contracts_active_month_end) against the
-- service population of those institutions, for resident (everyone), key_population (a contract
-- listing any key population) and every key population (a contract listing it). A person with
-- two active contracts counts once per group. The resident, key_population and ltc rows are the
-- parts of the three signing-rate KPIs (a dbt test keeps them equal).

with spine as (

    select * from {{ ref('int_consortium_months_spined') }}

),

groups as (

    select * from {{ ref('population_groups') }}

),

signed as (

    select * from {{ ref('int_contracts_active_month_end') }}

),

populations as (

    select * from {{ ref('int_service_population_month_end') }}

),

signed_by_group as (

    select
        signed.consortium_id,
        signed.month_start,
        groups.population_group,
        count(distinct signed.patient_key) as signed
    from signed
    inner join groups
        on groups.population_group = 'resident'
        or (groups.population_group = 'key_population' and signed.has_key_population)
        or (
            groups.is_key_population
            and {{ dbt.position(
                dbt.concat(["';'", 'groups.population_group', "';'"]),
                dbt.concat(["';'", 'signed.key_populations', "';'"])
            ) }} > 0
        )
    group by signed.consortium_id, signed.month_start, groups.population_group

),

population_by_group as (

    select
        consortium_id,
        month_start,
        population_group,
        -- bigint on both engines (DuckDB sums a bigint into a hugeint, Spark into a bigint)
        cast(sum(population) as {{ dbt.type_bigint() }}) as population
    from populations
    group by consortium_id, month_start, population_group

)

select
    spine.consortium_id,
    spine.month_start as month,
    groups.population_group,
    coalesce(signed_by_group.signed, 0) as signed,
    coalesce(population_by_group.population, 0) as population,
    case
        when coalesce(population_by_group.population, 0) = 0 then null
        else cast(coalesce(signed_by_group.signed, 0) as {{ type_double() }})
            / population_by_group.population
    end as rate

from spine
cross join groups
left join signed_by_group
    on signed_by_group.consortium_id = spine.consortium_id
    and signed_by_group.month_start = spine.month_start
    and signed_by_group.population_group = groups.population_group
left join population_by_group
    on population_by_group.consortium_id = spine.consortium_id
    and population_by_group.month_start = spine.month_start
    and population_by_group.population_group = groups.population_group
