-- grain: one row per (business_date, source_code, kind, finding): what the nights refused or
-- warned about, per source, for the consortium office. Refusals are the quarantined rows of the
-- current deliveries by reason; warnings are columns dropped from a delivery and registry rows
-- that may be legitimate but must be seen: overlapping periods of one institution, and an
-- institution in two consortia at once (it then counts for both).

with quarantined as (

    select * from {{ ref('stg_lake__quarantine_rows') }}

),

files as (

    select * from {{ ref('stg_lake__ingest_files') }}

),

institutions as (

    select * from {{ ref('stg_reference__institutions') }}

),

refused as (

    select
        business_date,
        source_code,
        kind,
        'refused' as severity,
        reason as finding,
        count(*) as rows_affected,
        min(detail) as example_detail
    from quarantined
    group by business_date, source_code, kind, reason

),

dropped as (

    select
        business_date,
        source_code,
        kind,
        'warning' as severity,
        'dropped_columns' as finding,
        0 as rows_affected,
        min(dropped_columns) as example_detail
    from files
    where dropped_columns <> '' and file_status <> 'skipped_duplicate'
    group by business_date, source_code, kind

),

overlapping as (

    select
        a.institution_code,
        a.consortium_id as consortium_a,
        b.consortium_id as consortium_b,
        greatest(a.valid_from, b.valid_from) as overlap_from
    from institutions as a
    inner join institutions as b
        on a.institution_code = b.institution_code
        and (a.valid_from < b.valid_from
            or (a.valid_from = b.valid_from and coalesce(a.consortium_id, '') < coalesce(b.consortium_id, ''))
            or (a.valid_from = b.valid_from and coalesce(a.consortium_id, '') = coalesce(b.consortium_id, '')
                and coalesce(a.role, '') < coalesce(b.role, '')))
        and b.valid_from <= coalesce(a.valid_to, b.valid_from)
        and a.valid_from <= coalesce(b.valid_to, a.valid_from)

),

registry as (

    select
        cast(null as date) as business_date,
        institution_code as source_code,
        'reference' as kind,
        'warning' as severity,
        case
            when coalesce(consortium_a, '') <> coalesce(consortium_b, '')
                and consortium_a is not null and consortium_b is not null
                then 'registry_multiple_consortia'
            else 'registry_overlapping_periods'
        end as finding,
        0 as rows_affected,
        min('from ' || cast(overlap_from as {{ dbt.type_string() }}) || ': '
            || coalesce(consortium_a, '-') || ' / ' || coalesce(consortium_b, '-')) as example_detail
    from overlapping
    group by business_date, source_code, kind, severity, finding

)

select * from refused
union all
select * from dropped
union all
select * from registry
