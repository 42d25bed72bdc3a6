-- One row per referral: its latest status, whether it is effective (accepted or completed), the
-- levels of sender and receiver on the referral date and the direction they give (upward when
-- the receiver's level is higher, downward when lower, lateral when equal), the receiver's
-- region, and the consortium the sender belonged to on that date.

with referrals as (

    select * from {{ ref('int_referrals_latest') }}

),

periods as (

    select * from {{ ref('int_institution_periods_unioned') }}

),

memberships as (

    select * from {{ ref('int_memberships_filtered') }}

),

consortia as (

    select * from {{ ref('stg_reference__consortia') }}

),

sender as (

    select
        referrals.referral_id,
        periods.institution_period_key,
        periods.level,
        row_number() over (
            partition by referrals.referral_id
            order by {{ institution_period_preference('referrals.referral_date', 'periods') }}
        ) as period_rank
    from referrals
    inner join periods
        on periods.institution_code = referrals.from_institution_code

),

receiver as (

    select
        referrals.referral_id,
        periods.institution_period_key,
        periods.level,
        periods.region_code,
        row_number() over (
            partition by referrals.referral_id
            order by {{ institution_period_preference('referrals.referral_date', 'periods') }}
        ) as period_rank
    from referrals
    inner join periods
        on periods.institution_code = referrals.to_institution_code

),

sender_consortium as (

    -- an institution in several consortia on one day: the first consortium_id is shown here;
    -- the KPIs count the referral for every one of them
    select
        referrals.referral_id,
        memberships.consortium_id,
        consortia.region_code,
        row_number() over (
            partition by referrals.referral_id
            order by memberships.consortium_id
        ) as consortium_rank
    from referrals
    inner join memberships
        on memberships.institution_code = referrals.from_institution_code
        and referrals.referral_date between memberships.period_start and memberships.period_end
    inner join consortia
        on consortia.consortium_id = memberships.consortium_id

),

directed as (

    select
        referrals.*,
        sender.institution_period_key as from_institution_period_key,
        receiver.institution_period_key as to_institution_period_key,
        sender.level as from_level,
        receiver.level as to_level,
        receiver.region_code as to_region_code,
        sender_consortium.consortium_id as from_consortium_id,
        sender_consortium.region_code as from_consortium_region_code
    from referrals
    left join sender
        on sender.referral_id = referrals.referral_id
        and sender.period_rank = 1
    left join receiver
        on receiver.referral_id = referrals.referral_id
        and receiver.period_rank = 1
    left join sender_consortium
        on sender_consortium.referral_id = referrals.referral_id
        and sender_consortium.consortium_rank = 1

)

select
    {{ generate_surrogate_key(['referral_id']) }} as referral_key,
    referral_id,
    from_institution_code,
    to_institution_code,
    from_institution_period_key,
    to_institution_period_key,
    patient_key,
    referral_date,
    {{ month_start('referral_date') }} as referral_month,
    latest_status,
    -- effective referral: latest status accepted or completed
    latest_status in {{ sql_values('effective_referral_statuses') }} as is_effective,
    from_level,
    to_level,
    case
        when from_level is null or to_level is null then null
        when to_level > from_level then 'upward'
        when to_level < from_level then 'downward'
        else 'lateral'
    end as direction,
    to_region_code,
    from_consortium_id,
    case
        when from_consortium_id is null then null
        else {{ region_matches('from_consortium_region_code', 'to_region_code') }}
    end as is_to_in_consortium_region,
    diagnosis_code,
    event_count,
    first_business_date,
    business_date,
    source_code,
    file_sha256

from directed
