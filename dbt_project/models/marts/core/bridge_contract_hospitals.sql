-- grain: one row per (contract, named hospital): the up to two hospitals a resident names with
-- a family-doctor contract (Shanghai's 1+1+1: a district-level and a city-level hospital),
-- described from the registry when registered.

with contracts as (

    select * from {{ ref('int_contracts_latest') }}

),

periods as (

    select * from {{ ref('int_institution_periods_unioned') }}
    where is_latest_period

),

named as (

    select contract_key, contract_id, 1 as hospital_position, hospital_code_1 as hospital_code
    from contracts
    where hospital_code_1 is not null
    union all
    select contract_key, contract_id, 2 as hospital_position, hospital_code_2 as hospital_code
    from contracts
    where hospital_code_2 is not null

)

select
    named.contract_key,
    named.contract_id,
    named.hospital_position,
    named.hospital_code,
    periods.tier as hospital_tier,
    periods.level as hospital_level,
    coalesce(periods.is_registered, false) as is_registered

from named
left join periods
    on periods.institution_code = named.hospital_code
