-- The four family-doctor signing KPIs by the contract's (signing) institution; the rules are in
-- macros/kpis/kpi_contracts.sql, shared with int_kpi_contracts_aggregated.
{{ kpi_contracts('institution') }}
