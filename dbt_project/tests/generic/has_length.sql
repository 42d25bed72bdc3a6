{#- Non-null values whose length is not `length` fail (6-digit region codes, 64-hex pseudonyms). -#}
{% test has_length(model, column_name, length) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null
  and {{ dbt.length(column_name) }} <> {{ length }}
{% endtest %}
