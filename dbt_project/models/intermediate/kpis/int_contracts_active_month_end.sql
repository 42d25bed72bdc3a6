-- One row per (consortium, month, contract) signed on the month's last day: the contract is
-- active that day (start_date <= day <= end_date, not terminated on or before it) and its
-- institution is a primary-care lead or member of the consortium that day. The signing KPIs
-- and signing_by_population_group count distinct people of these rows.

with primary_care_members as (

    select * from {{ ref('int_primary_care_members_month_end') }}

),

contracts as (

    select * from {{ ref('fct_contracts') }}

)

select
    primary_care_members.consortium_id,
    primary_care_members.month_start,
    primary_care_members.year,
    primary_care_members.institution_code,
    contracts.team_code,
    contracts.contract_id,
    contracts.patient_key,
    contracts.key_populations,
    contracts.has_key_population

from primary_care_members
inner join contracts
    on contracts.institution_code = primary_care_members.institution_code
    and primary_care_members.month_end between contracts.start_date and contracts.end_date
    and (
        contracts.terminated_date is null
        or contracts.terminated_date > primary_care_members.month_end
    )
