-- One row per public-health service record (institution_code, service_id): its latest delivery,
-- with the institution period describing the institution on the service date.
-- The logic lives in macros/record_facts.sql (shared with the incremental fact).

{{ public_health_services_enriched(ref('stg_lake__public_health_services')) }}
