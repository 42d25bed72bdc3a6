{#- The record logic of the three incremental facts, written once: each int_ model applies it
    to every staged row, and each fact on an incremental night to the rows of the keys that
    changed (raw._changed_<kind>), so the night recomputes what arrived, not the history. -#}

{#- One row per visit (institution_code, visit_type, visit_id): the latest delivery of the visit,
    dated by the day that decides its month (discharge_date for inpatient stays, else visit_date),
    with the institution period describing the institution on that day. -#}
{% macro visits_enriched(rows) -%}
with visits as (

    select * from {{ rows }}

),

periods as (

    select * from {{ ref('int_institution_periods_unioned') }}

),

latest_delivery as (

    select
        visits.*,
        row_number() over (
            partition by visits.institution_code, visits.visit_type, visits.visit_id
            order by {{ latest_delivery_first('visits') }}
        ) as delivery_rank
    from visits

),

dated as (

    select
        latest_delivery.*,
        case
            when latest_delivery.visit_type = 'inpatient'
                then coalesce(latest_delivery.discharge_date, latest_delivery.visit_date)
            else latest_delivery.visit_date
        end as record_date
    from latest_delivery
    where latest_delivery.delivery_rank = 1

),

with_period as (

    select
        dated.*,
        periods.institution_period_key,
        periods.tier as institution_tier,
        coalesce(periods.is_primary_care, false) as is_primary_care,
        row_number() over (
            partition by dated.institution_code, dated.visit_type, dated.visit_id
            order by {{ institution_period_preference('dated.record_date', 'periods') }}
        ) as period_rank
    from dated
    left join periods
        on periods.institution_code = dated.institution_code

)

select
    {{ generate_surrogate_key(['institution_code', 'visit_type', 'visit_id']) }} as visit_key,
    visit_id,
    institution_code,
    institution_period_key,
    institution_tier,
    is_primary_care,
    visit_type,
    -- 诊疗人次 (visit count): outpatient, emergency and home visits
    visit_type in {{ sql_values('counted_visit_types') }} as is_counted_visit,
    patient_key,
    residence_region_code,
    visit_date,
    discharge_date,
    record_date,
    {{ month_start('record_date') }} as record_month,
    department,
    diagnosis_code,
    total_cost,
    business_date,
    source_code,
    file_sha256

from with_period
where period_rank = 1
{%- endmacro %}

{#- One row per settlement (claim_id with record_type settle, its latest delivery), netted of
    reversals: is_live is false when any reverse row names it as original_claim_id, whatever the
    business date either arrived on. Reverse rows themselves are not rows here: they count nowhere.
    Each settlement carries the institution period describing its institution on the settlement
    date (registry, or typed from an unregistered national code) and its region flags. -#}
{% macro claims_netted(rows) -%}
with claims as (

    select * from {{ rows }}

),

periods as (

    select * from {{ ref('int_institution_periods_unioned') }}

),

settlements as (

    select
        claims.*,
        row_number() over (
            partition by claims.claim_id
            order by {{ latest_delivery_first('claims') }}
        ) as delivery_rank
    from claims
    where claims.record_type = 'settle'

),

reversals as (

    select
        original_claim_id,
        min(claim_id) as reversal_claim_id,
        min(settlement_date) as reversal_date
    from claims
    where record_type = 'reverse'
      and original_claim_id is not null
    group by original_claim_id

),

netted as (

    select
        settlements.*,
        reversals.reversal_claim_id,
        reversals.reversal_date,
        reversals.original_claim_id is null as is_live
    from settlements
    left join reversals
        on reversals.original_claim_id = settlements.claim_id
    where settlements.delivery_rank = 1

),

with_period as (

    select
        netted.*,
        periods.institution_period_key,
        coalesce(periods.is_registered, false) as is_registered_institution,
        coalesce(periods.is_pharmacy, false) as is_pharmacy,
        periods.tier as institution_tier,
        coalesce(periods.is_primary_care, false) as is_primary_care,
        periods.region_code as institution_region_code,
        row_number() over (
            partition by netted.claim_id
            order by {{ institution_period_preference('netted.settlement_date', 'periods') }}
        ) as period_rank
    from netted
    left join periods
        on periods.institution_code = netted.institution_code

)

select
    {{ generate_surrogate_key(['claim_id']) }} as claim_key,
    claim_id,
    is_live,
    reversal_claim_id,
    reversal_date,
    settlement_date,
    {{ month_start('settlement_date') }} as settlement_month,
    institution_code,
    institution_period_key,
    is_registered_institution,
    is_pharmacy,
    institution_tier,
    is_primary_care,
    institution_region_code,
    insured_region_code,
    coalesce(institution_region_code = insured_region_code, false) as is_in_insured_county,
    coalesce(
        substring(institution_region_code, 1, 4) = substring(insured_region_code, 1, 4), false
    ) as is_in_insured_city,
    insurance_scheme,
    visit_type,
    visit_id,
    patient_key,
    total_amount,
    fund_paid,
    personal_paid,
    business_date,
    source_code,
    file_sha256

from with_period
where period_rank = 1
{%- endmacro %}

{#- One row per public-health service record (institution_code, service_id): its latest delivery,
    with the institution period describing the institution on the service date. -#}
{% macro public_health_services_enriched(rows) -%}
with services as (

    select * from {{ rows }}

),

periods as (

    select * from {{ ref('int_institution_periods_unioned') }}

),

latest_delivery as (

    select
        services.*,
        row_number() over (
            partition by services.institution_code, services.service_id
            order by {{ latest_delivery_first('services') }}
        ) as delivery_rank
    from services

),

with_period as (

    select
        latest_delivery.*,
        periods.institution_period_key,
        row_number() over (
            partition by latest_delivery.institution_code, latest_delivery.service_id
            order by {{ institution_period_preference('latest_delivery.service_date', 'periods') }}
        ) as period_rank
    from latest_delivery
    left join periods
        on periods.institution_code = latest_delivery.institution_code
    where latest_delivery.delivery_rank = 1

)

select
    {{ generate_surrogate_key(['institution_code', 'service_id']) }} as service_key,
    service_id,
    institution_code,
    institution_period_key,
    patient_key,
    service_date,
    {{ month_start('service_date') }} as service_month,
    service_item,
    systolic_bp,
    diastolic_bp,
    fasting_glucose,
    business_date,
    source_code,
    file_sha256

from with_period
where period_rank = 1
{%- endmacro %}

{#- The staged rows of the keys that changed tonight (every row of such a key, so that the latest
    delivery is chosen among all of them). `extra_key` also admits rows whose `extra_key` names
    a changed key: the reversals of a changed settlement. -#}
{% macro rows_of_changed_keys(staged, changed, keys, extra_key=none) -%}
(
    select staged.*
    from {{ staged }} as staged
    where exists (
        select 1 from {{ changed }} as changed
        where {% for key in keys %}changed.{{ key }} = staged.{{ key }}{% if not loop.last %} and {% endif %}{% endfor %}
    )
    {%- if extra_key %}
    or exists (
        select 1 from {{ changed }} as changed
        where changed.{{ keys[0] }} = staged.{{ extra_key }}
    )
    {%- endif %}
)
{%- endmacro %}

{#- Pre-hook of an incremental fact: the stored rows of the changed keys leave; the model then
    appends what those keys give now (nothing, for a key whose rows are gone). -#}
{% macro delete_changed_keys(changed, keys) -%}
{%- if is_incremental() -%}
delete from {{ this }}
where exists (
    select 1 from {{ changed }} as changed
    where {% for key in keys %}changed.{{ key }} = {{ this }}.{{ key }}{% if not loop.last %} and {% endif %}{% endfor %}
)
{%- endif -%}
{%- endmacro %}

{#- The three record facts are incremental by key: the night deletes the changed keys' rows and
    appends what they give now. Spark's plain Parquet tables cannot delete rows (that takes a
    table format such as Delta Lake or Iceberg, whose Spark jars this project does not ship),
    so on Spark the facts are rebuilt whole every night: the same rows, as the parity test
    shows after corrections and reversals. -#}
{% macro record_fact_materialization() -%}
    {{ return(adapter.dispatch('record_fact_materialization', 'consortium_kpi')()) }}
{%- endmacro %}

{% macro default__record_fact_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__record_fact_materialization() -%}
    {{ return('table') }}
{%- endmacro %}
