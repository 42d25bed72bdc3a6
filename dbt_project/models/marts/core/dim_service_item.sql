-- grain: one row per basic public-health service item (13 items).

with items as (

    select * from {{ ref('service_items') }}

)

select
    service_item,
    name_zh,
    name_en,
    is_chronic_followup,
    display_order

from items
