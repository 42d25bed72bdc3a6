{{ config(severity='warn') }}
-- Reconciliation of the audit with the raw zone: for the current delivery of every slot, the
-- rows the audit says were loaded are the rows the extract tables hold for that file.
with loaded as (

    select business_date, source_code, 'visits' as kind, file_sha256, count(*) as rows_present
    from {{ ref('stg_lake__visits') }}
    group by business_date, source_code, file_sha256
    union all
    select business_date, source_code, 'referrals', file_sha256, count(*)
    from {{ ref('stg_lake__referrals') }}
    group by business_date, source_code, file_sha256
    union all
    select business_date, source_code, 'claims', file_sha256, count(*)
    from {{ ref('stg_lake__claims') }}
    group by business_date, source_code, file_sha256
    union all
    select business_date, source_code, 'public_health', file_sha256, count(*)
    from {{ ref('stg_lake__public_health_services') }}
    group by business_date, source_code, file_sha256

),

current_files as (

    select *
    from {{ ref('stg_lake__ingest_files') }}
    where file_status in ('loaded', 'quarantined')

)

select
    coalesce(current_files.business_date, loaded.business_date) as business_date,
    coalesce(current_files.source_code, loaded.source_code) as source_code,
    coalesce(current_files.kind, loaded.kind) as kind,
    coalesce(current_files.file_sha256, loaded.file_sha256) as file_sha256,
    current_files.rows_loaded,
    loaded.rows_present
from current_files
full outer join loaded
    on loaded.business_date = current_files.business_date
    and loaded.source_code = current_files.source_code
    and loaded.kind = current_files.kind
    and loaded.file_sha256 = current_files.file_sha256
where coalesce(current_files.rows_loaded, -1) <> coalesce(loaded.rows_present, 0)
