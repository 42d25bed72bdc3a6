{#-
    An incremental fact holds exactly the rows a full rebuild would give: its rows, and the rows
    of `compare_model` (filtered by `compare_where`) projected on the fact's columns, have an
    empty symmetric difference. Run every night, it proves the incremental state equals a full
    refresh after corrections, reversals and vanished rows.
-#}
{% test in_sync_with(model, compare_model, compare_where=None) %}
{%- set columns = adapter.get_columns_in_relation(model) | map(attribute='quoted') | join(', ') -%}
with stored as (
    select {{ columns }} from {{ model }}
),
desired as (
    select {{ columns }} from {{ compare_model }}
    {%- if compare_where %} where {{ compare_where }}{% endif %}
),
missing as (
    select 'missing from the fact' as problem, * from (
        select * from desired {{ dbt.except() }} select * from stored
    ) as m
),
extra as (
    select 'not in a full rebuild' as problem, * from (
        select * from stored {{ dbt.except() }} select * from desired
    ) as e
)
select * from missing
union all
select * from extra
{% endtest %}
