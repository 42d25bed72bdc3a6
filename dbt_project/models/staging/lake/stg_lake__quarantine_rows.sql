with source as (

    select * from {{ source('lake', 'quarantine_rows') }}

),

renamed as (

    select
        cast(business_date as date) as business_date,
        cast(source_code as {{ dbt.type_string() }}) as source_code,
        cast(kind as {{ dbt.type_string() }}) as kind,
        cast(file_name as {{ dbt.type_string() }}) as file_name,
        cast(row_number as {{ dbt.type_int() }}) as source_row_number,
        cast(reason as {{ dbt.type_string() }}) as reason,
        cast(detail as {{ dbt.type_string() }}) as detail,
        cast(sha256 as {{ dbt.type_string() }}) as file_sha256,
        cast(record as {{ dbt.type_string() }}) as record

    from source

)

select * from renamed
