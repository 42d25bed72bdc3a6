-- primary_care_visit_share and tcm_visit_share on the consortium x month grid; the rules are in
-- macros/kpis/kpi_visits.sql, shared with int_kpi_visits_by_institution.
{{ kpi_visits('consortium') }}
