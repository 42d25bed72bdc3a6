-- The six region-based claims KPIs on the consortium x month grid; the rules are in
-- macros/kpis/kpi_claims.sql, shared with int_kpi_claims_by_institution.
{{ kpi_claims('consortium') }}
