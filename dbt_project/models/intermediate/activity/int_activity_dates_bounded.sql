-- One row: the span of the loaded data. The record dates that decide a month (visit_date,
-- discharge_date for inpatients, referral_date, settlement_date, service_date, sign_date) of every loaded
-- row bound the KPI grid; every date any table holds (admissions and business dates included)
-- bounds the calendar; the business dates of the ingest audit bound the delivery calendar.

with visits as (

    select * from {{ ref('stg_lake__visits') }}

),

referrals as (

    select * from {{ ref('stg_lake__referrals') }}

),

claims as (

    select * from {{ ref('stg_lake__claims') }}

),

services as (

    select * from {{ ref('stg_lake__public_health_services') }}

),

contracts as (

    select * from {{ ref('stg_lake__contracts') }}

),

ingest_files as (

    select * from {{ ref('stg_lake__ingest_files') }}

),

record_dates as (

    select
        case
            when visit_type = 'inpatient' then coalesce(discharge_date, visit_date)
            else visit_date
        end as record_date
    from visits
    union all
    select referral_date from referrals
    union all
    select settlement_date from claims
    union all
    select service_date from services
    union all
    select sign_date from contracts

),

any_dates as (

    select record_date as any_date from record_dates
    union all
    select visit_date from visits
    union all
    select business_date from ingest_files

),

record_bounds as (

    select
        min(record_date) as first_record_date,
        max(record_date) as last_record_date
    from record_dates

),

calendar_bounds as (

    select
        min(any_date) as first_date,
        max(any_date) as last_date
    from any_dates

),

delivery_bounds as (

    select
        min(business_date) as first_business_date,
        max(business_date) as last_business_date
    from ingest_files

)

select
    {{ month_start('record_bounds.first_record_date') }} as first_record_month,
    {{ month_start('record_bounds.last_record_date') }} as last_record_month,
    calendar_bounds.first_date,
    calendar_bounds.last_date,
    delivery_bounds.first_business_date,
    delivery_bounds.last_business_date

from record_bounds
cross join calendar_bounds
cross join delivery_bounds
