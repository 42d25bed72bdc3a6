-- The four year-to-date public-health KPIs by the consortium's institution of the service; the
-- rules are in macros/kpis/kpi_public_health.sql, shared with int_kpi_public_health_aggregated.
{{ kpi_public_health('institution') }}
