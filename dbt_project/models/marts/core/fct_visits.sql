-- grain: one row per visit - (institution_code, visit_type, visit_id), its latest delivery.
--
-- Incremental: the rows a full rebuild would give are compared with the stored
-- ones; new or changed rows replace their key (delete+insert on visit_key) and the post-hook
-- deletes the rows whose visit no longer exists (a corrected delivery dropped it). Raw holds
-- every current delivery, so no lookback window is needed and --full-refresh gives the same
-- table; the in_sync_with test checks exactly that every night.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='visit_key',
        on_schema_change='fail',
        post_hook="delete from {{ this }} where visit_key not in (select visit_key from {{ ref('int_visits_enriched') }})"
    )
}}

with desired as (

    select
        visit_key,
        visit_id,
        institution_code,
        institution_period_key,
        institution_tier,
        is_primary_care,
        visit_type,
        is_counted_visit,
        patient_key,
        residence_region_code,
        visit_date,
        discharge_date,
        record_date,
        record_month,
        department,
        diagnosis_code,
        total_cost,
        business_date,
        source_code,
        file_sha256
    from {{ ref('int_visits_enriched') }}

)

select * from desired
{% if is_incremental() %}
{{ dbt.except() }}
select * from {{ this }}
{% endif %}
