"""KPI dashboard of the consortium warehouse: a Streamlit app over the published marts.

`queries` reads the published DuckDB file read-only, one short connection per call, and restates
no warehouse rule (the breakdowns read kpi_institution_monthly, outflow_monthly,
signing_by_population_group and public_health_work_points); `labels` formats figures and
bilingual labels; `views` holds the pages, one module each; `app` is the Streamlit app.
"""
