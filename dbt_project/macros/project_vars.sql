{#- A project var (dbt_project.yml `vars:`) that is a list of strings, as a SQL list of
    literals: ('a', 'b'). The KPI thresholds are named there once. -#}
{%- macro sql_values(var_name) -%}
    ({%- for value in var(var_name) %}'{{ value }}'{{ ", " if not loop.last }}{% endfor -%})
{%- endmacro -%}
