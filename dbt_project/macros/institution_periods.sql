{#-
    ORDER BY terms that pick the one institution period (a row of int_institution_periods_unioned)
    describing an institution on a date: a period covering the date first, then lead/member
    periods before external ones, then the most recent period. A date outside every period
    therefore falls back to the institution's latest period. `period` is the periods alias.
-#}
{%- macro institution_period_preference(date_expr, period) -%}
    case
        when {{ date_expr }} between {{ period }}.period_start and {{ period }}.period_end then 0
        else 1
    end,
    {{ period }}.role_priority,
    {{ period }}.period_start desc,
    {{ period }}.period_end desc,
    {{ period }}.institution_period_key
{%- endmacro -%}
