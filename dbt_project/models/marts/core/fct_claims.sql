-- grain: one row per live settlement - a claim_id with record_type settle (its latest delivery)
-- that no reversal cancels. Reversed settlements and reversal rows count nowhere and are absent.
--
-- Incremental: the live settlements a full rebuild would give are compared with the
-- stored ones; new or changed rows replace their key (delete+insert on claim_key) and the
-- post-hook deletes settlements that are no longer live - a reversal arriving tonight for a
-- settlement of any earlier month, or a correction that dropped the row. --full-refresh gives
-- the same table; the in_sync_with test checks it every night.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='claim_key',
        on_schema_change='fail',
        post_hook="delete from {{ this }} where claim_key not in (select claim_key from {{ ref('int_claims_netted') }} where is_live)"
    )
}}

with desired as (

    select
        claim_key,
        claim_id,
        settlement_date,
        settlement_month,
        institution_code,
        institution_period_key,
        is_registered_institution,
        is_pharmacy,
        institution_tier,
        is_primary_care,
        institution_region_code,
        insured_region_code,
        is_in_insured_county,
        is_in_insured_city,
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
    from {{ ref('int_claims_netted') }}
    where is_live

)

select * from desired
{% if is_incremental() %}
{{ dbt.except() }}
select * from {{ this }}
{% endif %}
