-- The four region-based claims KPIs on the consortium x month grid. They depend on the
-- consortium's region, not on membership: a live settlement belongs to a consortium when the
-- person is insured in its region (a code ending 00 is a city and matches on 4 digits), and is
-- "in the region" when its institution's region matches too. Reversed settlements are not live;
-- pharmacies are excluded from every claims KPI.

with spine as (

    select * from {{ ref('int_consortium_months_spined') }}

),

claims as (

    -- fct_claims holds the live settlements only
    select * from {{ ref('fct_claims') }}

),

attributed as (

    select
        spine.consortium_id,
        spine.month_start,
        claims.visit_type,
        claims.is_primary_care,
        claims.fund_paid,
        claims.total_amount,
        {{ region_matches('spine.region_code', 'claims.institution_region_code') }}
            as is_institution_in_region
    from claims
    inner join spine
        on spine.month_start = claims.settlement_month
        -- implied by region_matches (a city matches on 4 digits, a county on all 6); as an
        -- equality it lets the engine hash-join instead of pairing every claim with every
        -- consortium of its month
        and substring(spine.region_code, 1, 4) = substring(claims.insured_region_code, 1, 4)
        and {{ region_matches('spine.region_code', 'claims.insured_region_code') }}
    where not claims.is_pharmacy

),

aggregated as (

    select
        consortium_id,
        month_start,
        sum(fund_paid) as fund_insured,
        sum(case when is_institution_in_region then fund_paid else 0 end) as fund_in_region,
        sum(case when is_institution_in_region and is_primary_care then fund_paid else 0 end)
            as fund_in_region_primary_care,
        sum(case when visit_type = 'inpatient' then 1 else 0 end) as inpatient_stays,
        sum(case when visit_type = 'inpatient' and is_institution_in_region then 1 else 0 end)
            as inpatient_stays_in_region,
        sum(case when visit_type = 'inpatient' and is_institution_in_region then total_amount else 0 end)
            as inpatient_cost_in_region
    from attributed
    group by consortium_id, month_start

),

on_grid as (

    select
        spine.consortium_id,
        spine.month_start,
        cast(coalesce(aggregated.fund_insured, 0) as {{ type_double() }}) as fund_insured,
        cast(coalesce(aggregated.fund_in_region, 0) as {{ type_double() }}) as fund_in_region,
        cast(coalesce(aggregated.fund_in_region_primary_care, 0) as {{ type_double() }})
            as fund_in_region_primary_care,
        cast(coalesce(aggregated.inpatient_stays, 0) as {{ type_double() }}) as inpatient_stays,
        cast(coalesce(aggregated.inpatient_stays_in_region, 0) as {{ type_double() }})
            as inpatient_stays_in_region,
        cast(coalesce(aggregated.inpatient_cost_in_region, 0) as {{ type_double() }})
            as inpatient_cost_in_region
    from spine
    left join aggregated
        on aggregated.consortium_id = spine.consortium_id
        and aggregated.month_start = spine.month_start

)

select consortium_id, month_start, 'in_region_fund_share' as kpi_id,
    fund_in_region as numerator, fund_insured as denominator
from on_grid

union all

select consortium_id, month_start, 'primary_care_fund_share' as kpi_id,
    fund_in_region_primary_care as numerator, fund_in_region as denominator
from on_grid

union all

select consortium_id, month_start, 'in_region_inpatient_share' as kpi_id,
    inpatient_stays_in_region as numerator, inpatient_stays as denominator
from on_grid

union all

select consortium_id, month_start, 'in_region_inpatient_cost' as kpi_id,
    inpatient_cost_in_region as numerator, inpatient_stays_in_region as denominator
from on_grid
