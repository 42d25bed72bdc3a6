{#-
    The two functions the project needs that dbt's cross-database macros lack, behind
    adapter.dispatch: DuckDB's spelling by default, Spark's where it differs.
-#}

{#- True when the whole of `text_expr` matches the regular expression `pattern` (a SQL string
    literal, without ^ and $). -#}
{% macro regex_full_match(text_expr, pattern) -%}
    {{ return(adapter.dispatch('regex_full_match', 'consortium_kpi')(text_expr, pattern)) }}
{%- endmacro %}

{% macro default__regex_full_match(text_expr, pattern) -%}
    regexp_full_match({{ text_expr }}, {{ pattern }})
{%- endmacro %}

{% macro spark__regex_full_match(text_expr, pattern) -%}
    ({{ text_expr }} rlike concat('^(', {{ pattern }}, ')$'))
{%- endmacro %}

{#- ISO day of the week: 1 Monday .. 7 Sunday. -#}
{% macro iso_day_of_week(date_expr) -%}
    {{ return(adapter.dispatch('iso_day_of_week', 'consortium_kpi')(date_expr)) }}
{%- endmacro %}

{% macro default__iso_day_of_week(date_expr) -%}
    extract(isodow from {{ date_expr }})
{%- endmacro %}

{% macro spark__iso_day_of_week(date_expr) -%}
    (pmod(dayofweek({{ date_expr }}) + 5, 7) + 1)
{%- endmacro %}
