-- grain: one row per delivered file and delivery, part of the published warehouse,
-- every status: loaded, skipped_duplicate, replaced, quarantined. Published under this name.

with files as (

    select * from {{ ref('stg_lake__ingest_files') }}

)

select
    business_date,
    source_code,
    kind,
    file_name,
    file_sha256 as sha256,
    rows_read,
    rows_loaded,
    rows_quarantined,
    dropped_columns,
    file_status as status,
    ingested_at

from files
order by ingested_at, business_date, source_code, kind
