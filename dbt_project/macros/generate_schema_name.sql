{#-
    Layers land in fixed schemas of the warehouse file (no target-schema prefix):
    staging -> `staging`, intermediate -> `intermediate`, marts -> `main` (the schema readers see
    by default), seeds -> `seeds`. The schema comes from dbt_project.yml; a node without one
    lands in the target schema.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
