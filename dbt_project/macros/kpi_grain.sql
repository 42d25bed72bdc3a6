{#-
    Each KPI rule is written once, in its model of models/intermediate/kpis/ (int_kpi_<extract>),
    as the block of a `kpi_rule_at_grains` call, rendered at the grains of var kpi_grains:
    `consortium` (one row per consortium x month x KPI on the complete grid, institution_code
    NULL: what kpi_monthly reads) and `institution` (one row per consortium x month x KPI x
    member institution with any part: what kpi_institution_monthly reads). These helpers add
    the institution to the select and group lists and put the grains one under the other.
-#}

{%- macro kpi_grain_columns(grain, institution_expr='institution_code') -%}
    {%- if grain == 'institution' %}{{ institution_expr }} as institution_code,{% endif -%}
{%- endmacro -%}

{%- macro kpi_grain_group(grain, institution_expr='institution_code') -%}
    {%- if grain == 'institution' %}, {{ institution_expr }}{% endif -%}
{%- endmacro -%}

{#- The parts of one KPI from a CTE `source` with the grain columns: `select ... union all`. -#}
{%- macro kpi_parts(grain, source, kpi_id, numerator, denominator) -%}
    select
        {{ source }}.consortium_id,
        {{ source }}.month_start,
        {% if grain == 'institution' %}{{ source }}.institution_code,{% endif %}
        '{{ kpi_id }}' as kpi_id,
        cast({{ numerator }} as {{ type_double() }}) as numerator,
        cast({{ denominator }} as {{ type_double() }}) as denominator
    from {{ source }}
{%- endmacro -%}

{#- The rows of the grain: the spine (every consortium and month, with or without data) or the
    aggregated rows themselves (institutions with any part only). -#}
{%- macro kpi_on_grid(grain, aggregated, columns) -%}
    {%- if grain == 'institution' %}
    select
        {{ aggregated }}.consortium_id,
        {{ aggregated }}.month_start,
        {{ aggregated }}.institution_code,
        {%- for column in columns %}
        cast(coalesce({{ aggregated }}.{{ column }}, 0) as {{ type_double() }}) as {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ aggregated }}
    {%- else %}
    select
        spine.consortium_id,
        spine.month_start,
        {%- for column in columns %}
        cast(coalesce({{ aggregated }}.{{ column }}, 0) as {{ type_double() }}) as {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from spine
    left join {{ aggregated }}
        on {{ aggregated }}.consortium_id = spine.consortium_id
        and {{ aggregated }}.month_start = spine.month_start
    {%- endif %}
{%- endmacro -%}

{#- The rows of the caller's block (`{% call(grain) kpi_rule_at_grains() %}`: the rule, given
    the grain) at every grain of var kpi_grains, one under the other, with a `grain` column;
    institution_code is NULL at the consortium grain. -#}
{%- macro kpi_rule_at_grains() -%}
    {%- for grain in var('kpi_grains') %}
    select
        '{{ grain }}' as grain,
        {{ grain }}_parts.consortium_id,
        {{ grain }}_parts.month_start,
        {%- if grain == 'institution' %}
        {{ grain }}_parts.institution_code,
        {%- else %}
        cast(null as {{ dbt.type_string() }}) as institution_code,
        {%- endif %}
        {{ grain }}_parts.kpi_id,
        {{ grain }}_parts.numerator,
        {{ grain }}_parts.denominator
    from ({{ caller(grain) }}) as {{ grain }}_parts
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro -%}
