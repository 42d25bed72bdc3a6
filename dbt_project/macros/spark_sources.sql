{#-
    Schema `raw` on Spark. On DuckDB the night's Python loads `raw` into the warehouse file; on
    Spark nothing is loaded: this on-run-start hook (re)defines every `raw` source table as a view
    over Parquet, so Spark reads the lake itself. The night passes the locations in
    KPI_SPARK_SOURCES (JSON: table -> {"path": ..., "current_only": bool}):

    - each extract kind: the lake's raw folder of the kind, read whole, keeping the rows of the
      deliveries that are current as of the night (raw.current_delivery), as load_raw_schema
      keeps them on DuckDB;
    - ingest_files, quarantine_rows, current_delivery and the registry tables: small Parquet
      files the night writes from the lake's audit and reference zones;
    - _changed_<kind>: empty (the facts are rebuilt whole on Spark; macros/record_facts.sql).
-#}
{% macro register_raw_sources() -%}
    {{ return(adapter.dispatch('register_raw_sources', 'consortium_kpi')()) }}
{%- endmacro %}

{% macro default__register_raw_sources() -%}
{%- endmacro %}

{% macro spark__register_raw_sources() -%}
    {%- if execute -%}
        {%- set sources = fromjson(env_var('KPI_SPARK_SOURCES', '{}')) -%}
        {%- do run_query('create database if not exists raw') -%}
        {#- the small tables first: the extract views read raw.current_delivery -#}
        {%- for current_only in [false, true] -%}
        {%- for name, table in sources.items() if table.current_only == current_only -%}
            {%- set rows -%}
                select * from parquet.`{{ table.path }}`
                {%- if table.current_only %}
                where _delivery_id in (select delivery_id from raw.current_delivery)
                {%- endif %}
            {%- endset -%}
            {%- do run_query('create or replace view raw.`' ~ name ~ '` as ' ~ rows) -%}
        {%- endfor -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
