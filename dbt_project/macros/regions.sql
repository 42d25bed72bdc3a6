{#-
    Region matching of a consortium: a region code ending in `0000` is a province (省域) and
    matches every code with the same first 2 digits; one ending in `00` is a prefecture-level
    city (市域) and matches every code with the same first 4 digits; any other code (县域)
    matches itself only. `region_expr` is the consortium's region, `code_expr` the code being judged.
    Unknown codes match nothing (FALSE, never NULL).
-#}
{%- macro region_matches(region_expr, code_expr) -%}
    (case
        when {{ region_expr }} is null or {{ code_expr }} is null then false
        when {{ dbt.right(region_expr, 4) }} = '0000'
            then substring({{ code_expr }}, 1, 2) = substring({{ region_expr }}, 1, 2)
        when {{ dbt.right(region_expr, 2) }} = '00'
            then substring({{ code_expr }}, 1, 4) = substring({{ region_expr }}, 1, 4)
        else {{ code_expr }} = {{ region_expr }}
    end)
{%- endmacro -%}

{#- The GB/T 2260 level of a 6-digit code: province (ends 0000), city (ends 00), county. -#}
{%- macro region_level(code_expr) -%}
    (case
        when {{ code_expr }} is null or {{ dbt.length(code_expr) }} <> 6 then 'unknown'
        when {{ dbt.right(code_expr, 4) }} = '0000' then 'province'
        when {{ dbt.right(code_expr, 2) }} = '00' then 'city'
        else 'county'
    end)
{%- endmacro -%}

{#- The digits of a code that region_matches compares for a region of `level_expr`: all 6 of a
    county, the first 4 of a city, the first 2 of a province. A consortium's region and a
    judged code match exactly when their prefixes at the region's level are equal, so the
    match can be an equality join. -#}
{%- macro region_prefix(code_expr, level_expr) -%}
    (case {{ level_expr }}
        when 'province' then substring({{ code_expr }}, 1, 2)
        when 'city' then substring({{ code_expr }}, 1, 4)
        else {{ code_expr }}
    end)
{%- endmacro -%}
