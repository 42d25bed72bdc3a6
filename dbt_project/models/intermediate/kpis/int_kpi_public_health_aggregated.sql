-- The four year-to-date public-health KPIs on the consortium x month grid; the rules are in
-- macros/kpis/kpi_public_health.sql, shared with int_kpi_public_health_by_institution.
{{ kpi_public_health('consortium') }}
