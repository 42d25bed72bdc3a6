-- grain: one row per quarantined row of a current delivery (row_number 0: a file that could not
-- be parsed at all). Identifiers in `record` are pseudonymised by the ingest.

with quarantined as (

    select * from {{ ref('stg_lake__quarantine_rows') }}

)

select
    business_date,
    source_code,
    kind,
    file_name,
    source_row_number as row_number,
    reason,
    detail,
    file_sha256 as sha256,
    record

from quarantined
order by business_date, source_code, kind, file_name, source_row_number
