-- One row per settlement (claim_id with record_type settle, its latest delivery), netted of
-- reversals: is_live is false when any reverse row names it as original_claim_id, whatever the
-- business date either arrived on. Reverse rows themselves are not rows here: they count nowhere.
-- Each settlement carries the institution period describing its institution on the settlement
-- date (registry, or typed from an unregistered national code) and its region flags.
-- The logic lives in macros/record_facts.sql (shared with the incremental fact).

{{ claims_netted(ref('stg_lake__claims')) }}
