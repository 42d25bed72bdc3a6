{#-
    referral_down_up_ratio and out_of_region_referral_share: effective referrals (latest status
    accepted/completed) sent by an institution that is lead or member of the consortium on the
    referral date, by direction; upward referrals to a receiver outside the consortium's region.
    The institution of a referral is its sending side.
-#}
{#- grain: one row per (grain, consortium_id, month_start, kpi_id, institution_code). The rule
    below is written once and rendered at each grain of var kpi_grains (kpi_rule_at_grains):
    `consortium` for kpi_monthly, `institution` for kpi_institution_monthly. -#}
{% call(grain) kpi_rule_at_grains() %}

with spine as (

    select * from {{ ref('int_consortium_months_spined') }}

),

referrals as (

    select * from {{ ref('int_referrals_directed') }}

),

memberships as (

    select * from {{ ref('int_memberships_filtered') }}

),

attributed as (

    select distinct
        memberships.consortium_id,
        referrals.referral_month as month_start,
        referrals.from_institution_code as institution_code,
        referrals.referral_key,
        referrals.direction,
        referrals.to_region_code
    from referrals
    inner join memberships
        on memberships.institution_code = referrals.from_institution_code
        and referrals.referral_date between memberships.period_start and memberships.period_end
    where referrals.is_effective
      and referrals.direction in ('upward', 'downward')

),

aggregated as (

    select
        attributed.consortium_id,
        attributed.month_start,
        {{ kpi_grain_columns(grain, 'attributed.institution_code') }}
        sum(case when attributed.direction = 'downward' then 1 else 0 end) as downward,
        sum(case when attributed.direction = 'upward' then 1 else 0 end) as upward,
        sum(
            case
                when attributed.direction = 'upward'
                    and not {{ region_matches('spine.region_code', 'attributed.to_region_code') }}
                    then 1
                else 0
            end
        ) as upward_out_of_region
    from attributed
    inner join spine
        on spine.consortium_id = attributed.consortium_id
        and spine.month_start = attributed.month_start
    group by attributed.consortium_id, attributed.month_start
        {{ kpi_grain_group(grain, 'attributed.institution_code') }}

),

on_grid as (
    {{ kpi_on_grid(grain, 'aggregated', ['downward', 'upward', 'upward_out_of_region']) }}
)

{{ kpi_parts(grain, 'on_grid', 'referral_down_up_ratio', 'downward', 'upward') }}
union all
{{ kpi_parts(grain, 'on_grid', 'out_of_region_referral_share', 'upward_out_of_region', 'upward') }}

{% endcall %}
