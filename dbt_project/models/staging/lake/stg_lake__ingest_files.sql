with source as (

    select * from {{ source('lake', 'ingest_files') }}

),

renamed as (

    select
        cast(business_date as date) as business_date,
        cast(source_code as {{ dbt.type_string() }}) as source_code,
        cast(kind as {{ dbt.type_string() }}) as kind,
        cast(file_name as {{ dbt.type_string() }}) as file_name,
        cast(sha256 as {{ dbt.type_string() }}) as file_sha256,
        cast(rows_read as {{ dbt.type_bigint() }}) as rows_read,
        cast(rows_loaded as {{ dbt.type_bigint() }}) as rows_loaded,
        cast(rows_quarantined as {{ dbt.type_bigint() }}) as rows_quarantined,
        cast(dropped_columns as {{ dbt.type_string() }}) as dropped_columns,
        cast(status as {{ dbt.type_string() }}) as file_status,
        cast(ingested_at as {{ dbt.type_timestamp() }}) as ingested_at

    from source

)

select * from renamed
