-- grain: one row per visit - (institution_code, visit_type, visit_id), its latest delivery.
--
-- Incremental by key: on a night after the first, the stored rows of the keys that changed
-- tonight (raw._changed_visits: keys of rows that left or arrived; every key after a registry
-- change) are deleted and recomputed from all their staged rows, so the night costs what arrived.
-- --full-refresh and the first night compute every key; the in_sync_with test and
-- warehouse.transform.verify_incremental prove the two agree.
-- depends_on: {{ ref('stg_lake__changed_visits') }}
-- depends_on: {{ ref('stg_lake__visits') }}
-- depends_on: {{ ref('int_institution_periods_unioned') }}
{{
    config(
        materialized=record_fact_materialization(),
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_changed_keys(ref('stg_lake__changed_visits'), ['institution_code', 'visit_type', 'visit_id']) }}"
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
    from (
        {% if is_incremental() %}
        {{ visits_enriched(rows_of_changed_keys(ref('stg_lake__visits'), ref('stg_lake__changed_visits'), ['institution_code', 'visit_type', 'visit_id'])) }}
        {% else %}
        select * from {{ ref('int_visits_enriched') }}
        {% endif %}
    ) as records

)

select * from desired
