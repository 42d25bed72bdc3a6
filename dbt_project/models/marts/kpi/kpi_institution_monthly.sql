-- grain: one row per (consortium_id, month, kpi_id, institution_code) with any part: every
-- KPI's numerator and denominator by the consortium's institution - the institution of the
-- record, the sending side of a referral, the signing institution of a contract, and for the
-- region-based claims KPIs the institution where the settlement took place (in the region or
-- not). The rules are those of kpi_monthly (int_kpi_*), rendered by institution. Where
-- kpi_definitions.parts_add_up, the parts add up exactly to kpi_monthly (a dbt test proves it).

with parts as (

    select consortium_id, month_start, institution_code, kpi_id, numerator, denominator
    from {{ ref('int_kpi_visits') }}
    where grain = 'institution'
    union all
    select consortium_id, month_start, institution_code, kpi_id, numerator, denominator
    from {{ ref('int_kpi_referrals') }}
    where grain = 'institution'
    union all
    select consortium_id, month_start, institution_code, kpi_id, numerator, denominator
    from {{ ref('int_kpi_claims') }}
    where grain = 'institution'
    union all
    select consortium_id, month_start, institution_code, kpi_id, numerator, denominator
    from {{ ref('int_kpi_public_health') }}
    where grain = 'institution'
    union all
    select consortium_id, month_start, institution_code, kpi_id, numerator, denominator
    from {{ ref('int_kpi_contracts') }}
    where grain = 'institution'

)

select
    parts.consortium_id,
    parts.month_start as month,
    parts.kpi_id,
    parts.institution_code,
    parts.numerator,
    parts.denominator,
    case
        when parts.denominator = 0 then null
        else parts.numerator / parts.denominator
    end as value

from parts
where parts.numerator <> 0 or parts.denominator <> 0
