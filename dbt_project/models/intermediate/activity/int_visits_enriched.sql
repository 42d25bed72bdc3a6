-- One row per visit (institution_code, visit_type, visit_id): the latest delivery of the visit,
-- dated by the day that decides its month (discharge_date for inpatient stays, else visit_date),
-- with the institution period describing the institution on that day.
-- The logic lives in macros/record_facts.sql (shared with the incremental fact).

{{ visits_enriched(ref('stg_lake__visits')) }}
