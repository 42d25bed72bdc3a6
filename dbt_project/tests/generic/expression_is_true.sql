{#- Rows for which `expression` is not true fail (dbt_utils.expression_is_true behaviour).
    An optional `where` limits the rows judged. -#}
{% test expression_is_true(model, expression, column_name=None, where_clause=None) %}
select *
from {{ model }}
where not ({{ column_name ~ ' ' if column_name else '' }}{{ expression }})
{%- if where_clause %}
  and ({{ where_clause }})
{%- endif %}
{% endtest %}
