-- One row per referral_id: the latest event of its life (latest business_date, ties: the later
-- delivery), i.e. its current status. The event history is summarised alongside.

with events as (

    select * from {{ ref('stg_lake__referrals') }}

),

ranked as (

    select
        events.*,
        row_number() over (
            partition by events.referral_id
            order by {{ latest_delivery_first('events') }}
        ) as event_rank,
        count(*) over (partition by events.referral_id) as event_count,
        min(events.business_date) over (partition by events.referral_id) as first_business_date
    from events

)

select
    referral_id,
    from_institution_code,
    to_institution_code,
    patient_key,
    referral_date,
    status as latest_status,
    diagnosis_code,
    event_count,
    first_business_date,
    business_date,
    source_code,
    file_sha256

from ranked
where event_rank = 1
