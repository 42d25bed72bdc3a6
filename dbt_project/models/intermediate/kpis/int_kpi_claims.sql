{#-
    The region-based claims KPIs: in_region_fund_share, primary_care_fund_share,
    in_region_inpatient_share, in_region_inpatient_cost, in_region_visit_share and
    in_region_inpatient_cost_growth. They depend on the consortium's region, not on membership:
    a live settlement belongs to a consortium when the person is insured in its region (a code
    ending 0000 is a province, 00 a city) and is "in the region" when its institution's region
    matches too. Reversed settlements are not live (fct_claims holds live ones only); pharmacies
    are excluded from every claims KPI (int_claims_attributed_to_regions). The institution of a settlement is where it took place,
    inside the region or not, so the parts add up to the consortium's.
-#}
{#- grain: one row per (grain, consortium_id, month_start, kpi_id, institution_code). The rule
    below is written once and rendered at each grain of var kpi_grains (kpi_rule_at_grains):
    `consortium` for kpi_monthly, `institution` for kpi_institution_monthly. -#}
{% call(grain) kpi_rule_at_grains() %}

with spine as (

    select * from {{ ref('int_consortium_months_spined') }}

),

attributed as (

    select * from {{ ref('int_claims_attributed_to_regions') }}

),

aggregated as (

    select
        consortium_id,
        month_start,
        {{ kpi_grain_columns(grain) }}
        sum(fund_paid) as fund_insured,
        sum(case when is_institution_in_region then fund_paid else 0 end) as fund_in_region,
        sum(case when is_institution_in_region and is_primary_care then fund_paid else 0 end)
            as fund_in_region_primary_care,
        count(*) as settlements,
        sum(case when is_institution_in_region then 1 else 0 end) as settlements_in_region,
        sum(case when visit_type = 'inpatient' then 1 else 0 end) as inpatient_stays,
        sum(case when visit_type = 'inpatient' and is_institution_in_region then 1 else 0 end)
            as inpatient_stays_in_region,
        sum(case when visit_type = 'inpatient' and is_institution_in_region then total_amount else 0 end)
            as inpatient_cost_in_region
    from attributed
    group by consortium_id, month_start {{ kpi_grain_group(grain) }}

),

on_grid as (
    {{ kpi_on_grid(grain, 'aggregated', [
        'fund_insured', 'fund_in_region', 'fund_in_region_primary_care', 'settlements',
        'settlements_in_region', 'inpatient_stays', 'inpatient_stays_in_region',
        'inpatient_cost_in_region']) }}
),

-- in_region_inpatient_cost_growth: year-to-date mean against the same span a year earlier -----

spans as (

    select
        consortium_id,
        month_start,
        year_start,
        cast({{ dbt.dateadd('year', -1, 'month_start') }} as date) as prior_month_start,
        cast({{ dbt.dateadd('year', -1, 'year_start') }} as date) as prior_year_start
    from spine

),

cost_to_date as (

    select
        spans.consortium_id,
        spans.month_start,
        {{ kpi_grain_columns(grain, 'aggregated.institution_code') }}
        sum(case when aggregated.month_start >= spans.year_start
            then aggregated.inpatient_cost_in_region else 0 end) as cost_ytd,
        sum(case when aggregated.month_start >= spans.year_start
            then aggregated.inpatient_stays_in_region else 0 end) as stays_ytd,
        sum(case when aggregated.month_start <= spans.prior_month_start
            then aggregated.inpatient_cost_in_region else 0 end) as cost_prior,
        sum(case when aggregated.month_start <= spans.prior_month_start
            then aggregated.inpatient_stays_in_region else 0 end) as stays_prior
    from spans
    inner join aggregated
        on aggregated.consortium_id = spans.consortium_id
        and (
            aggregated.month_start between spans.year_start and spans.month_start
            or aggregated.month_start between spans.prior_year_start and spans.prior_month_start
        )
    group by spans.consortium_id, spans.month_start {{ kpi_grain_group(grain, 'aggregated.institution_code') }}

),

cost_growth as (

    -- NULL (0 / 0) unless both spans hold an in-region inpatient settlement
    select
        consortium_id,
        month_start,
        {{ kpi_grain_columns(grain) }}
        case
            when stays_ytd > 0 and stays_prior > 0
                then cast(cost_ytd as {{ type_double() }}) / stays_ytd
                    - cast(cost_prior as {{ type_double() }}) / stays_prior
            else 0
        end as cost_growth,
        case
            when stays_ytd > 0 and stays_prior > 0
                then cast(cost_prior as {{ type_double() }}) / stays_prior
            else 0
        end as prior_cost
    from cost_to_date

),

cost_growth_on_grid as (
    {{ kpi_on_grid(grain, 'cost_growth', ['cost_growth', 'prior_cost']) }}
)

{{ kpi_parts(grain, 'on_grid', 'in_region_fund_share', 'fund_in_region', 'fund_insured') }}
union all
{{ kpi_parts(grain, 'on_grid', 'primary_care_fund_share', 'fund_in_region_primary_care', 'fund_in_region') }}
union all
{{ kpi_parts(grain, 'on_grid', 'in_region_inpatient_share', 'inpatient_stays_in_region', 'inpatient_stays') }}
union all
{{ kpi_parts(grain, 'on_grid', 'in_region_inpatient_cost', 'inpatient_cost_in_region', 'inpatient_stays_in_region') }}
union all
{{ kpi_parts(grain, 'on_grid', 'in_region_visit_share', 'settlements_in_region', 'settlements') }}
union all
{{ kpi_parts(grain, 'cost_growth_on_grid', 'in_region_inpatient_cost_growth', 'cost_growth', 'prior_cost') }}

{% endcall %}
