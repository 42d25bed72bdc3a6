-- One row per (consortium, month, primary-care member institution, population group): the
-- service population (reference/service_population.csv) of the month's year of each of the
-- consortium's primary-care institutions on the month's last day - the denominators of the
-- signing KPIs and of signing_by_population_group.

with members as (

    select * from {{ ref('int_primary_care_members_month_end') }}

),

populations as (

    select * from {{ ref('stg_reference__service_population') }}

)

select
    members.consortium_id,
    members.month_start,
    members.institution_code,
    populations.population_group,
    populations.population

from members
inner join populations
    on populations.institution_code = members.institution_code
    and populations.population_year = members.year
