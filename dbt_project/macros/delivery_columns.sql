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
