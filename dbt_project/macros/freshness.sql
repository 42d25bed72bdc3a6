{#- Source freshness judged on business dates. Overrides dbt's default__collect_freshness (the
    root project comes first in the dispatch order of the `dbt` namespace): with the env var
    KPI_FRESHNESS_BUSINESS_DATE (the night's business date D) "now" is the end of D, so the age
    of a source is how many days of deliveries it lags behind the night, whenever the night runs
    (a backfill of 2024 included). Without it, dbt's own current timestamp. An env var, not a
    dbt var: changed vars make the next `dbt build` parse the whole project again. -#}
{% macro default__collect_freshness(source, loaded_at_field, filter) %}
    {%- set business_date = env_var('KPI_FRESHNESS_BUSINESS_DATE', '') -%}
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
