-- grain: one row per basic public-health service record - (institution_code, service_id), its
-- latest delivery.
--
-- Incremental by key: on a night after the first, the stored rows of the keys that changed
-- tonight (raw._changed_public_health: keys of rows that left or arrived; every key after a registry
-- change) are deleted and recomputed from all their staged rows, so the night costs what arrived.
-- --full-refresh and the first night compute every key; the in_sync_with test and
-- warehouse.transform.verify_incremental prove the two agree.
-- depends_on: {{ ref('stg_lake__changed_public_health') }}
-- depends_on: {{ ref('stg_lake__public_health_services') }}
-- depends_on: {{ ref('int_institution_periods_unioned') }}
{{
    config(
        materialized=record_fact_materialization(),
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_changed_keys(ref('stg_lake__changed_public_health'), ['institution_code', 'service_id']) }}"
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
    from (
        {% if is_incremental() %}
        {{ public_health_services_enriched(rows_of_changed_keys(ref('stg_lake__public_health_services'), ref('stg_lake__changed_public_health'), ['institution_code', 'service_id'])) }}
        {% else %}
        select * from {{ ref('int_public_health_services_enriched') }}
        {% endif %}
    ) as records

)

select * from desired
