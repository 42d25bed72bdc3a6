-- One row per consortium and month of the KPI grid: how many of the deliveries expected on the
-- month's business dates arrived and were loaded. Institution side: the daily visits files of
-- the institutions that were lead or member of the consortium on each day. Claims side: the
-- daily claims files of every insurance bureau (claims KPIs are region-based). NULL when nothing
-- was expected (months before the first business date).

with spine as (

    select * from {{ ref('int_consortium_months_spined') }}

),

slots as (

    select * from {{ ref('int_delivery_slots_joined') }}
    where is_expected

),

memberships as (

    select * from {{ ref('int_memberships_filtered') }}

),

institution_slots as (

    select
        member_slots.consortium_id,
        {{ month_start('member_slots.business_date') }} as month_start,
        count(*) as slots_expected,
        sum(case when member_slots.is_loaded then 1 else 0 end) as slots_loaded
    from (
        select distinct
            memberships.consortium_id,
            slots.business_date,
            slots.source_code,
            slots.is_loaded
        from slots
        inner join memberships
            on memberships.institution_code = slots.source_code
            and slots.business_date between memberships.period_start and memberships.period_end
        where slots.kind = 'visits'
    ) as member_slots
    group by member_slots.consortium_id, {{ month_start('member_slots.business_date') }}

),

claims_slots as (

    select
        {{ month_start('business_date') }} as month_start,
        count(*) as slots_expected,
        sum(case when is_loaded then 1 else 0 end) as slots_loaded
    from slots
    where kind = 'claims'
    group by {{ month_start('business_date') }}

)

select
    spine.consortium_id,
    spine.month_start,
    coalesce(institution_slots.slots_expected, 0) as institution_slots_expected,
    coalesce(institution_slots.slots_loaded, 0) as institution_slots_loaded,
    case
        when coalesce(institution_slots.slots_expected, 0) = 0 then null
        else cast(institution_slots.slots_loaded as {{ type_double() }})
            / cast(institution_slots.slots_expected as {{ type_double() }})
    end as institution_completeness,
    coalesce(claims_slots.slots_expected, 0) as claims_slots_expected,
    coalesce(claims_slots.slots_loaded, 0) as claims_slots_loaded,
    case
        when coalesce(claims_slots.slots_expected, 0) = 0 then null
        else cast(claims_slots.slots_loaded as {{ type_double() }})
            / cast(claims_slots.slots_expected as {{ type_double() }})
    end as claims_completeness

from spine
left join institution_slots
    on institution_slots.consortium_id = spine.consortium_id
    and institution_slots.month_start = spine.month_start
left join claims_slots
    on claims_slots.month_start = spine.month_start
