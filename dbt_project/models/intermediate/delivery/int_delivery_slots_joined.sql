-- One row per (business_date, source_code, kind) slot that was expected or delivered, from the
-- first to the last business date of the ingest audit. Expected: every institution
-- that is lead or member of a consortium on the day delivers visits; every insurance bureau (a
-- source_code that has ever delivered claims) delivers claims. The slot's current delivery is
-- its latest file with status loaded or quarantined (replaced and skipped files are history).

with bounds as (

    select * from {{ ref('int_activity_dates_bounded') }}

),

ingest_files as (

    select * from {{ ref('stg_lake__ingest_files') }}

),

memberships as (

    select * from {{ ref('int_memberships_filtered') }}

),

day_offsets as (

    -- up to about 110 years of business days
    {{ dbt.generate_series(40000) }}

),

business_days as (

    select business_date
    from (
        select
            cast(
                {{ dbt.dateadd('day', 'day_offsets.generated_number - 1', 'bounds.first_business_date') }}
                as date
            ) as business_date,
            bounds.last_business_date
        from bounds
        cross join day_offsets
        where bounds.first_business_date is not null
    ) as candidate_days
    where business_date <= last_business_date

),

bureaus as (

    select distinct source_code
    from ingest_files
    where kind = 'claims'

),

expected as (

    select distinct
        business_days.business_date,
        memberships.institution_code as source_code,
        'visits' as kind,
        'member_visits_daily' as expectation
    from business_days
    inner join memberships
        on business_days.business_date between memberships.period_start and memberships.period_end

    union all

    select
        business_days.business_date,
        bureaus.source_code,
        'claims' as kind,
        'bureau_claims_daily' as expectation
    from business_days
    cross join bureaus

),

files_ranked as (

    select
        ingest_files.*,
        row_number() over (
            partition by ingest_files.business_date, ingest_files.source_code, ingest_files.kind
            order by
                case when ingest_files.file_status in ('loaded', 'quarantined') then 0 else 1 end,
                ingest_files.ingested_at desc,
                ingest_files.file_sha256 desc
        ) as file_rank,
        count(*) over (
            partition by ingest_files.business_date, ingest_files.source_code, ingest_files.kind
        ) as files_received
    from ingest_files

),

delivered as (

    select * from files_ranked where file_rank = 1

)

select
    coalesce(expected.business_date, delivered.business_date) as business_date,
    coalesce(expected.source_code, delivered.source_code) as source_code,
    coalesce(expected.kind, delivered.kind) as kind,
    expected.business_date is not null as is_expected,
    expected.expectation,
    delivered.business_date is not null as is_delivered,
    coalesce(delivered.file_status = 'loaded', false) as is_loaded,
    delivered.file_status,
    delivered.file_name,
    delivered.file_sha256,
    coalesce(delivered.files_received, 0) as files_received,
    case
        when delivered.file_status in ('loaded', 'quarantined') then delivered.rows_read else 0
    end as rows_read,
    case
        when delivered.file_status in ('loaded', 'quarantined') then delivered.rows_loaded else 0
    end as rows_loaded,
    case
        when delivered.file_status in ('loaded', 'quarantined') then delivered.rows_quarantined else 0
    end as rows_quarantined

from expected
full outer join delivered
    on delivered.business_date = expected.business_date
    and delivered.source_code = expected.source_code
    and delivered.kind = expected.kind
