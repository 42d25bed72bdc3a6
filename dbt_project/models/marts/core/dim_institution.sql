-- grain: one row per institution period - a registry row (SCD2: an institution that joins or
-- leaves a consortium has one row per membership period), or one open-ended row for an
-- institution code seen in claims but absent from the registry, typed from its national code.

with periods as (

    select * from {{ ref('int_institution_periods_unioned') }}

),

tiers as (

    select * from {{ ref('institution_tiers') }}

)

select
    periods.institution_period_key,
    periods.institution_code,
    periods.institution_name,
    periods.tier,
    tiers.name_zh as tier_name_zh,
    periods.level,
    periods.is_primary_care,
    periods.region_code,
    periods.consortium_id,
    periods.role,
    periods.valid_from,
    periods.valid_to,
    periods.is_latest_period,
    periods.is_registered,
    periods.is_pharmacy,
    periods.code_scheme

from periods
left join tiers
    on tiers.tier = periods.tier
