{#- The model holds exactly `count` rows: the grain test of a one-row model (a span, a setting). -#}
{% test has_row_count(model, count) %}
select count(*) as n_rows
from {{ model }}
having count(*) <> {{ count }}
{% endtest %}
