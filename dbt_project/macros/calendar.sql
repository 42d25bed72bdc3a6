{#- Calendar helpers over the cross-database date macros, always returning DATE (DuckDB's
    date_trunc returns a TIMESTAMP for a DATE argument). -#}

{%- macro month_start(date_expr) -%}
    cast({{ dbt.date_trunc('month', date_expr) }} as date)
{%- endmacro -%}

{%- macro year_start(date_expr) -%}
    cast({{ dbt.date_trunc('year', date_expr) }} as date)
{%- endmacro -%}

{%- macro month_end(date_expr) -%}
    {{ dbt.last_day(date_expr, 'month') }}
{%- endmacro -%}

{#- The last day of an open-ended period (valid_to empty = open). -#}
{%- macro open_end_date() -%}
    cast('9999-12-31' as date)
{%- endmacro -%}

{%- macro open_start_date() -%}
    cast('1900-01-01' as date)
{%- endmacro -%}
