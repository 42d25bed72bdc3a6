"""KPI dashboard of the consortium warehouse: a Streamlit app over the published marts.

`queries` reads the published DuckDB file read-only, one short connection per call; `labels`
formats figures and bilingual labels; `app` is the Streamlit app; `export` writes the marts as
Parquet (and a DuckDB 1.x-readable copy) beside the warehouse for other BI tools.
"""
