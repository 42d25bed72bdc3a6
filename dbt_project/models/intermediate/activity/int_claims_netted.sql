-- One row per settlement (claim_id with record_type settle, its latest delivery), netted of
-- reversals: is_live is false when any reverse row names it as original_claim_id, whatever the
-- business date either arrived on. Reverse rows themselves are not rows here: they count nowhere.
-- Each settlement carries the institution period describing its institution on the settlement
-- date (registry, or typed from an unregistered national code) and its region flags.

with claims as (

    select * from {{ ref('stg_lake__claims') }}

),

periods as (

    select * from {{ ref('int_institution_periods_unioned') }}

),

settlements as (

    select
        claims.*,
        row_number() over (
            partition by claims.claim_id
            order by claims.business_date desc, claims.loaded_at desc, claims.file_sha256 desc,
                claims.source_row_number desc
        ) as delivery_rank
    from claims
    where claims.record_type = 'settle'

),

reversals as (

    select
        original_claim_id,
        min(claim_id) as reversal_claim_id,
        min(settlement_date) as reversal_date
    from claims
    where record_type = 'reverse'
      and original_claim_id is not null
    group by original_claim_id

),

netted as (

    select
        settlements.*,
        reversals.reversal_claim_id,
        reversals.reversal_date,
        reversals.original_claim_id is null as is_live
    from settlements
    left join reversals
        on reversals.original_claim_id = settlements.claim_id
    where settlements.delivery_rank = 1

),

with_period as (

    select
        netted.*,
        periods.institution_period_key,
        coalesce(periods.is_registered, false) as is_registered_institution,
        coalesce(periods.is_pharmacy, false) as is_pharmacy,
        periods.tier as institution_tier,
        coalesce(periods.is_primary_care, false) as is_primary_care,
        periods.region_code as institution_region_code,
        row_number() over (
            partition by netted.claim_id
            order by {{ institution_period_preference('netted.settlement_date', 'periods') }}
        ) as period_rank
    from netted
    left join periods
        on periods.institution_code = netted.institution_code

)

select
    {{ generate_surrogate_key(['claim_id']) }} as claim_key,
    claim_id,
    is_live,
    reversal_claim_id,
    reversal_date,
    settlement_date,
    {{ month_start('settlement_date') }} as settlement_month,
    institution_code,
    institution_period_key,
    is_registered_institution,
    is_pharmacy,
    institution_tier,
    is_primary_care,
    institution_region_code,
    insured_region_code,
    coalesce(institution_region_code = insured_region_code, false) as is_in_insured_county,
    coalesce(
        substring(institution_region_code, 1, 4) = substring(insured_region_code, 1, 4), false
    ) as is_in_insured_city,
    insurance_scheme,
    visit_type,
    visit_id,
    patient_key,
    total_amount,
    fund_paid,
    personal_paid,
    business_date,
    source_code,
    file_sha256

from with_period
where period_rank = 1
