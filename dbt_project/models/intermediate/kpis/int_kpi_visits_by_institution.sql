-- primary_care_visit_share and tcm_visit_share by the consortium's institution of the visit;
-- the rules are in macros/kpis/kpi_visits.sql, shared with int_kpi_visits_aggregated.
{{ kpi_visits('institution') }}
