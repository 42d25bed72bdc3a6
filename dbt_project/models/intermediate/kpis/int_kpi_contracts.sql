{#-
    The family-doctor signing KPIs. Judged on the month's last day (int_contracts_active_month_end):
    family_doctor_signing_rate, key_population_signing_rate and ltc_signing_rate - distinct people
    signed at the consortium's primary-care institutions (whose contract lists at least one key
    population / lists ltc) over the service population of those institutions for the month's
    year (reference/service_population.csv: resident, key_population, ltc). And
    signed_contracted_visit_share, judged on each settlement date: live outpatient settlements
    (pharmacies excluded) of people whose contract is active that day, at the contract's
    institution or one of its hospitals, over all of them; of several active contracts the
    latest sign_date (then the greatest contract_id) decides, and the settlement counts for the
    consortia of which the contract's institution is lead or member that day.
    The institution of every part is the contract's (signing) institution.
-#}
{#- grain: one row per (grain, consortium_id, month_start, kpi_id, institution_code). The rule
    below is written once and rendered at each grain of var kpi_grains (kpi_rule_at_grains):
    `consortium` for kpi_monthly, `institution` for kpi_institution_monthly. -#}
{% call(grain) kpi_rule_at_grains() %}

with spine as (

    select * from {{ ref('int_consortium_months_spined') }}

),

signed as (

    select * from {{ ref('int_contracts_active_month_end') }}

),

memberships as (

    select * from {{ ref('int_memberships_filtered') }}

),

populations as (

    select * from {{ ref('int_service_population_month_end') }}

),

-- signing rates --------------------------------------------------------------------------------

signed_people as (

    select
        consortium_id,
        month_start,
        {{ kpi_grain_columns(grain) }}
        count(distinct patient_key) as people_signed,
        count(distinct case when has_key_population then patient_key end) as key_people_signed,
        count(distinct case
            when {{ dbt.position("';ltc;'", dbt.concat(["';'", 'key_populations', "';'"])) }} > 0
                then patient_key
        end) as ltc_people_signed
    from signed
    group by consortium_id, month_start {{ kpi_grain_group(grain) }}

),

served_population as (

    select
        consortium_id,
        month_start,
        {{ kpi_grain_columns(grain) }}
        sum(case when population_group = 'resident' then population else 0 end)
            as resident_population,
        sum(case when population_group = 'key_population' then population else 0 end)
            as key_population,
        sum(case when population_group = 'ltc' then population else 0 end) as ltc_population
    from populations
    group by consortium_id, month_start {{ kpi_grain_group(grain) }}

),

signing as (

    -- people and populations side by side, at either grain (an institution may have one
    -- without the other); kpi_on_grid puts the consortium grain on the spine
    select
        consortium_id,
        month_start,
        {{ kpi_grain_columns(grain) }}
        sum(people_signed) as people_signed,
        sum(key_people_signed) as key_people_signed,
        sum(ltc_people_signed) as ltc_people_signed,
        sum(resident_population) as resident_population,
        sum(key_population) as key_population,
        sum(ltc_population) as ltc_population
    from (
        select
            consortium_id, month_start, {{ kpi_grain_columns(grain) }}
            people_signed, key_people_signed, ltc_people_signed,
            0 as resident_population, 0 as key_population, 0 as ltc_population
        from signed_people
        union all
        select
            consortium_id, month_start, {{ kpi_grain_columns(grain) }}
            0, 0, 0, resident_population, key_population, ltc_population
        from served_population
    ) as parts
    group by consortium_id, month_start {{ kpi_grain_group(grain) }}

),

signing_on_grid as (
    {{ kpi_on_grid(grain, 'signing', [
        'people_signed', 'key_people_signed', 'ltc_people_signed', 'resident_population',
        'key_population', 'ltc_population']) }}
),

-- signed_contracted_visit_share ------------------------------------------------------------------

outpatient_settlements as (

    select claim_key, patient_key, institution_code, settlement_date, settlement_month
    from {{ ref('fct_claims') }}
    where visit_type = 'outpatient' and not is_pharmacy

),

deciding_contracts as (

    select
        outpatient_settlements.claim_key,
        outpatient_settlements.settlement_date,
        outpatient_settlements.settlement_month,
        outpatient_settlements.institution_code as settled_at,
        contracts.institution_code,
        contracts.hospital_code_1,
        contracts.hospital_code_2,
        row_number() over (
            partition by outpatient_settlements.claim_key
            order by contracts.sign_date desc, contracts.contract_id desc
        ) as contract_rank
    from outpatient_settlements
    inner join {{ ref('fct_contracts') }} as contracts
        on contracts.patient_key = outpatient_settlements.patient_key
        and outpatient_settlements.settlement_date between contracts.start_date and contracts.end_date
        and (
            contracts.terminated_date is null
            or contracts.terminated_date > outpatient_settlements.settlement_date
        )

),

contracted_settlements as (

    -- overlapping membership periods of the contract's institution count once
    select distinct
        memberships.consortium_id,
        deciding_contracts.settlement_month as month_start,
        deciding_contracts.institution_code,
        deciding_contracts.claim_key,
        deciding_contracts.settled_at in (
            deciding_contracts.institution_code,
            coalesce(deciding_contracts.hospital_code_1, deciding_contracts.institution_code),
            coalesce(deciding_contracts.hospital_code_2, deciding_contracts.institution_code)
        ) as is_within_contract
    from deciding_contracts
    inner join memberships
        on memberships.institution_code = deciding_contracts.institution_code
        and deciding_contracts.settlement_date between memberships.period_start and memberships.period_end
    where deciding_contracts.contract_rank = 1

),

contracted_visits as (

    select
        consortium_id,
        month_start,
        {{ kpi_grain_columns(grain) }}
        sum(case when is_within_contract then 1 else 0 end) as settlements_within_contract,
        count(*) as settlements_signed
    from contracted_settlements
    group by consortium_id, month_start {{ kpi_grain_group(grain) }}

),

contracted_on_grid as (
    {{ kpi_on_grid(grain, 'contracted_visits', ['settlements_within_contract', 'settlements_signed']) }}
)

{{ kpi_parts(grain, 'signing_on_grid', 'family_doctor_signing_rate', 'people_signed', 'resident_population') }}
union all
{{ kpi_parts(grain, 'signing_on_grid', 'key_population_signing_rate', 'key_people_signed', 'key_population') }}
union all
{{ kpi_parts(grain, 'signing_on_grid', 'ltc_signing_rate', 'ltc_people_signed', 'ltc_population') }}
union all
{{ kpi_parts(grain, 'contracted_on_grid', 'signed_contracted_visit_share', 'settlements_within_contract', 'settlements_signed') }}

{% endcall %}
