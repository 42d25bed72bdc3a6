-- grain: one row per consortium of reference/consortia.csv.

with consortia as (

    select * from {{ ref('stg_reference__consortia') }}

)

select
    consortium_id,
    consortium_name,
    consortium_kind,
    region_code,
    {{ region_level('region_code') }} as region_level,
    lead_institution_code

from consortia
