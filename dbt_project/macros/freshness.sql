{#- Source freshness judged on business dates. Overrides dbt's default__collect_freshness (the
    root project comes first in the dispatch order of the `dbt` namespace): with the var
    freshness_business_date (the night's business date D) "now" is the end of D, so the age of
    a source is how many days of deliveries it lags behind the night, whenever the night runs
    (a backfill of 2024 included). Without the var it is dbt's own current timestamp. -#}
{% macro default__collect_freshness(source, loaded_at_field, filter) %}
    {%- set business_date = var('freshness_business_date', none) -%}
    {% call statement('collect_freshness', fetch_result=True, auto_begin=False) -%}
        select
            max({{ loaded_at_field }}) as max_loaded_at,
            {% if business_date -%}
            cast({{ dbt.dateadd('day', 1, "cast('" ~ business_date ~ "' as date)") }} as timestamp)
            {%- else -%}
            {{ current_timestamp() }}
            {%- endif %} as snapshotted_at
        from {{ source }}
        {% if filter %}
        where {{ filter }}
        {% endif %}
    {% endcall %}
    {{ return(load_result('collect_freshness')) }}
{% endmacro %}
