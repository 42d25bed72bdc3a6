-- grain: one row per live settlement - a claim_id with record_type settle (its latest delivery)
-- that no reversal cancels. Reversed settlements and reversal rows count nowhere and are absent.
--
-- Incremental by key: on a night after the first, the stored rows of the keys that changed
-- tonight (raw._changed_claims: keys of rows that left or arrived; every key after a registry
-- change) are deleted and recomputed from all their staged rows, so the night costs what arrived.
-- --full-refresh and the first night compute every key; the in_sync_with test and
-- warehouse.transform.verify_incremental prove the two agree.
-- depends_on: {{ ref('stg_lake__changed_claims') }}
-- depends_on: {{ ref('stg_lake__claims') }}
-- depends_on: {{ ref('int_institution_periods_unioned') }}
{{
    config(
        materialized=record_fact_materialization(),
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_changed_keys(ref('stg_lake__changed_claims'), ['claim_id']) }}"
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
    from (
        {% if is_incremental() %}
        {{ claims_netted(rows_of_changed_keys(ref('stg_lake__claims'), ref('stg_lake__changed_claims'), ['claim_id'], extra_key='original_claim_id')) }}
        {% else %}
        select * from {{ ref('int_claims_netted') }}
        {% endif %}
    ) as records
    where is_live

)

select * from desired
