-- One row per (consortium, live settlement of a person insured in the consortium's region),
-- pharmacies excluded (as from every claims KPI): the region-based attribution that the claims
-- KPIs and outflow_monthly share. A code ending 0000 is a province (matches on 2 digits), 00 a
-- city (4 digits), any other a county (itself); is_institution_in_region says whether the
-- settlement's institution lies in the region too.

with spine as (

    select * from {{ ref('int_consortium_months_spined') }}

),

claims as (

    select * from {{ ref('fct_claims') }}
    where not is_pharmacy

),

insured_prefixes as (

    -- each settlement under the prefix of its insured region at every region level, so the
    -- match with a consortium's region is an equality (a hash join, not claims x consortia)
    {% for level in ['county', 'city', 'province'] %}
    select
        claim_key,
        settlement_month,
        institution_code,
        institution_region_code,
        institution_tier,
        is_registered_institution,
        is_primary_care,
        visit_type,
        fund_paid,
        total_amount,
        '{{ level }}' as region_level,
        {{ region_prefix('insured_region_code', "'" ~ level ~ "'") }} as region_prefix
    from claims
    {{ "union all" if not loop.last }}
    {% endfor %}

)

select
    spine.consortium_id,
    spine.month_start,
    insured_prefixes.claim_key,
    insured_prefixes.institution_code,
    insured_prefixes.institution_region_code,
    insured_prefixes.institution_tier,
    insured_prefixes.is_registered_institution,
    insured_prefixes.visit_type,
    insured_prefixes.is_primary_care,
    insured_prefixes.fund_paid,
    insured_prefixes.total_amount,
    {{ region_matches('spine.region_code', 'insured_prefixes.institution_region_code') }}
        as is_institution_in_region

from insured_prefixes
inner join spine
    on spine.month_start = insured_prefixes.settlement_month
    and spine.region_level = insured_prefixes.region_level
    and spine.region_prefix = insured_prefixes.region_prefix
