{#- The delivery columns the ingest stamps on every landed row (DELIVERY_COLUMNS in
    ingest/contract.py), typed and renamed once for every lake extract's staging model. -#}
{% macro delivery_columns() -%}
        cast(business_date as date) as business_date,
        cast(source_code as {{ dbt.type_string() }}) as source_code,
        cast(file_sha256 as {{ dbt.type_string() }}) as file_sha256,
        cast(file_name as {{ dbt.type_string() }}) as file_name,
        cast(row_number as {{ dbt.type_int() }}) as source_row_number,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
{%- endmacro %}

{#- ORDER BY terms putting a record's latest delivery first: the latest business date, ties
    the later load, then file hash and row number for determinism. The one rule by which
    every kind keeps a record's latest delivery (and referrals and contracts their latest state). -#}
{% macro latest_delivery_first(alias) -%}
    {{ alias }}.business_date desc, {{ alias }}.loaded_at desc, {{ alias }}.file_sha256 desc,
    {{ alias }}.source_row_number desc
{%- endmacro %}
