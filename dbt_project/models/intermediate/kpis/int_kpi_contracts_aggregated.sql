-- The four family-doctor signing KPIs on the consortium x month grid; the rules are in
-- macros/kpis/kpi_contracts.sql, shared with int_kpi_contracts_by_institution.
{{ kpi_contracts('consortium') }}
