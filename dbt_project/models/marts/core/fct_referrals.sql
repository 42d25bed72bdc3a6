-- grain: one row per referral (referral_id), carrying its latest status. A table rebuilt every
-- night: a referral's status changes after it was issued, so its row is not history that grows.

with referrals as (

    select * from {{ ref('int_referrals_directed') }}

)

select
    referral_key,
    referral_id,
    from_institution_code,
    to_institution_code,
    from_institution_period_key,
    to_institution_period_key,
    patient_key,
    referral_date,
    referral_month,
    latest_status,
    is_effective,
    from_level,
    to_level,
    direction,
    to_region_code,
    from_consortium_id,
    is_to_in_consortium_region,
    diagnosis_code,
    event_count,
    first_business_date,
    business_date,
    source_code,
    file_sha256

from referrals
