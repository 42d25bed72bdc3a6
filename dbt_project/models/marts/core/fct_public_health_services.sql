-- grain: one row per basic public-health service record - (institution_code, service_id), its
-- latest delivery.
--
-- Incremental, as fct_visits: changed or new rows replace their key (delete+insert
-- on service_key), the post-hook deletes records a correction dropped; --full-refresh gives the
-- same table, which the in_sync_with test checks every night.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='service_key',
        on_schema_change='fail',
        post_hook="delete from {{ this }} where service_key not in (select service_key from {{ ref('int_public_health_services_enriched') }})"
    )
}}

with desired as (

    select
        service_key,
        service_id,
        institution_code,
        institution_period_key,
        patient_key,
        service_date,
        service_month,
        service_item,
        systolic_bp,
        diastolic_bp,
        fasting_glucose,
        business_date,
        source_code,
        file_sha256
    from {{ ref('int_public_health_services_enriched') }}

)

select * from desired
{% if is_incremental() %}
{{ dbt.except() }}
select * from {{ this }}
{% endif %}
