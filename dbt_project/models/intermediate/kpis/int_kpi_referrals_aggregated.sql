-- referral_down_up_ratio and out_of_region_referral_share on the consortium x month grid
-- effective referrals (latest status accepted/completed) sent by an institution that
-- is lead or member of the consortium on the referral date, by direction; upward referrals to a
-- receiver outside the consortium's region (city codes ending 00 match on 4 digits).

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

),

on_grid as (

    select
        spine.consortium_id,
        spine.month_start,
        coalesce(aggregated.downward, 0) as downward,
        coalesce(aggregated.upward, 0) as upward,
        coalesce(aggregated.upward_out_of_region, 0) as upward_out_of_region
    from spine
    left join aggregated
        on aggregated.consortium_id = spine.consortium_id
        and aggregated.month_start = spine.month_start

)

select
    consortium_id,
    month_start,
    'referral_down_up_ratio' as kpi_id,
    cast(downward as {{ type_double() }}) as numerator,
    cast(upward as {{ type_double() }}) as denominator
from on_grid

union all

select
    consortium_id,
    month_start,
    'out_of_region_referral_share' as kpi_id,
    cast(upward_out_of_region as {{ type_double() }}) as numerator,
    cast(upward as {{ type_double() }}) as denominator
from on_grid
