with source as (

    select * from {{ source('reference', 'public_health_targets') }}

),

renamed as (

    select
        cast(year as {{ dbt.type_int() }}) as target_year,
        cast(institution_code as {{ dbt.type_string() }}) as institution_code,
        cast(service_item as {{ dbt.type_string() }}) as service_item,
        cast(target_count as {{ dbt.type_int() }}) as target_count

    from source

)

select * from renamed
