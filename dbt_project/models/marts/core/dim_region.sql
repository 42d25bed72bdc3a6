-- grain: one row per GB/T 2260 region code named anywhere in the warehouse, with its province
-- and city. Levels come from the code digits: ....0000 province, ....00 prefecture-level city,
-- otherwise county-level (county, district, county-level city).

with codes as (

    select * from {{ ref('int_region_codes_unioned') }}

),

names as (

    select * from {{ ref('region_names') }}

),

levelled as (

    select
        codes.region_code,
        {{ region_level('codes.region_code') }} as region_level
    from codes

)

select
    levelled.region_code,
    names.name_zh as region_name,
    levelled.region_level,
    case
        when levelled.region_level = 'unknown' then null
        else {{ dbt.concat(["substring(levelled.region_code, 1, 2)", "'0000'"]) }}
    end as province_code,
    case
        when levelled.region_level in ('city', 'county')
            then {{ dbt.concat(["substring(levelled.region_code, 1, 4)", "'00'"]) }}
    end as city_code,
    case
        when levelled.region_level = 'county'
            then {{ dbt.concat(["substring(levelled.region_code, 1, 4)", "'00'"]) }}
        when levelled.region_level = 'city'
            then {{ dbt.concat(["substring(levelled.region_code, 1, 2)", "'0000'"]) }}
    end as parent_region_code

from levelled
left join names
    on names.region_code = levelled.region_code
