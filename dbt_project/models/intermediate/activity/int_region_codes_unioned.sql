-- Every GB/T 2260 code the warehouse names (institutions incl. codes typed from unregistered
-- national codes, consortia, residences, insured regions) plus the province and city each one
-- belongs to, so dim_region holds every level of the hierarchy that occurs.

with named as (

    select region_code from {{ ref('int_institution_periods_unioned') }}
    union
    select region_code from {{ ref('stg_reference__consortia') }}
    union
    select residence_region_code from {{ ref('stg_lake__visits') }}
    union
    select insured_region_code from {{ ref('stg_lake__claims') }}

),

valid as (

    select region_code
    from named
    where region_code is not null

),

with_parents as (

    select region_code from valid
    union
    select {{ dbt.concat(["substring(region_code, 1, 2)", "'0000'"]) }} from valid
    where {{ dbt.length('region_code') }} = 6
    union
    select {{ dbt.concat(["substring(region_code, 1, 4)", "'00'"]) }} from valid
    where {{ dbt.length('region_code') }} = 6
      and {{ dbt.right('region_code', 4) }} <> '0000'

)

select region_code from with_parents
