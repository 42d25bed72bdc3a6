-- grain: one row per (business_date, source_code, kind) slot that was expected or delivered,
-- every business date from the first to the last in the ingest audit. Expected: visits daily
-- from every institution that is lead or member of a consortium that day; claims daily from
-- every insurance bureau (a source that has delivered claims).

with slots as (

    select * from {{ ref('int_delivery_slots_joined') }}

)

select
    business_date,
    source_code,
    kind,
    is_expected,
    expectation,
    is_delivered,
    is_loaded,
    file_status,
    file_name,
    file_sha256,
    files_received,
    rows_read,
    rows_loaded,
    rows_quarantined

from slots
order by business_date, source_code, kind
