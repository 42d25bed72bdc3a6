{#- Several required columns checked in one query (one row per column holding NULLs). Keeps the
    nightly build fast; primary keys keep their own unique + not_null tests. -#}
{% test not_null_columns(model, columns) %}
{%- for column in columns %}
select '{{ column }}' as column_name, count(*) as null_rows
from {{ model }}
where {{ column }} is null
having count(*) > 0
{%- if not loop.last %}
union all
{%- endif %}
{%- endfor %}
{% endtest %}
