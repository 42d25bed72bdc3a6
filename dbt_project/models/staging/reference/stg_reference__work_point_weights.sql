with source as (

    select * from {{ source('reference', 'work_point_weights') }}

),

renamed as (

    select
        cast(service_item as {{ dbt.type_string() }}) as service_item,
        cast(points as {{ type_double() }}) as points

    from source

)

select * from renamed
