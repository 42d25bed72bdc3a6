-- The six region-based claims KPIs by the institution where the settlement took place (inside
-- the region or not); the rules are in macros/kpis/kpi_claims.sql.
{{ kpi_claims('institution') }}
