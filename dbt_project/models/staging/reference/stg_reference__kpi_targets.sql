with source as (

    select * from {{ source('reference', 'kpi_targets') }}

),

renamed as (

    select
        cast(kpi_id as {{ dbt.type_string() }}) as kpi_id,
        cast(consortium_id as {{ dbt.type_string() }}) as consortium_id,
        cast(year as {{ dbt.type_int() }}) as target_year,
        cast(target as {{ type_double() }}) as target

    from source

)

select * from renamed
