with source as (

    select * from {{ source('reference', 'consortia') }}

),

renamed as (

    select
        cast(consortium_id as {{ dbt.type_string() }}) as consortium_id,
        cast(name as {{ dbt.type_string() }}) as consortium_name,
        cast(kind as {{ dbt.type_string() }}) as consortium_kind,
        cast(region_code as {{ dbt.type_string() }}) as region_code,
        cast(lead_institution_code as {{ dbt.type_string() }}) as lead_institution_code

    from source

)

select * from renamed
