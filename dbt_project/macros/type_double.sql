{#-
    A double-precision float. dbt.type_float() renders `float`, which DuckDB reads as a 4-byte
    REAL: KPI values must be doubles (stored unrounded), so this macro exists.
-#}
{%- macro type_double() -%}
    {{ return(adapter.dispatch('type_double')()) }}
{%- endmacro -%}

{%- macro default__type_double() -%}
    double precision
{%- endmacro -%}

{%- macro bigquery__type_double() -%}
    float64
{%- endmacro -%}

{%- macro spark__type_double() -%}
    double
{%- endmacro -%}
