{#-
    A hashed key over several columns, with the behaviour of dbt_utils.generate_surrogate_key
    (no packages can be installed here): every field cast to text, NULL replaced by a marker,
    fields joined with '-', then hashed. Same inputs give the same key on every night.
-#}
{%- macro generate_surrogate_key(field_list) -%}
    {%- set default_null_value = '_dbt_utils_surrogate_key_null_' -%}
    {%- set fields = [] -%}
    {%- for field in field_list -%}
        {%- do fields.append(
            "coalesce(" ~ dbt.safe_cast(field, dbt.type_string()) ~ ", '" ~ default_null_value ~ "')"
        ) -%}
        {%- if not loop.last -%}
            {%- do fields.append("'-'") -%}
        {%- endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(fields)) }}
{%- endmacro -%}
