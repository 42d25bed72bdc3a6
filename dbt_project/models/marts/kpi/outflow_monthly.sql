-- grain: one row per (consortium_id, month, destination_institution_code, visit_type): where the
-- region's insured are treated outside the region (患者外流). Live settlements of people insured
-- in the consortium's region at institutions outside it, pharmacies excluded - the complement
-- of the numerator of in_region_visit_share, from the same attribution.

with attributed as (

    select * from {{ ref('int_claims_attributed_to_regions') }}
    where not is_institution_in_region

)

select
    consortium_id,
    month_start as month,
    institution_code as destination_institution_code,
    institution_region_code as destination_region_code,
    -- NULL when the destination is not in the registry (a national code only)
    case when is_registered_institution then institution_tier end as destination_tier,
    visit_type,
    count(*) as settlements,
    cast(sum(total_amount) as {{ type_double() }}) as total_amount,
    cast(sum(fund_paid) as {{ type_double() }}) as fund_paid

from attributed
group by
    consortium_id,
    month_start,
    institution_code,
    institution_region_code,
    case when is_registered_institution then institution_tier end,
    visit_type
