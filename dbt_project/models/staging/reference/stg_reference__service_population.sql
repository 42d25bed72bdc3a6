with source as (

    select * from {{ source('reference', 'service_population') }}

),

renamed as (

    select
        cast(year as {{ dbt.type_int() }}) as population_year,
        cast(institution_code as {{ dbt.type_string() }}) as institution_code,
        cast(population_group as {{ dbt.type_string() }}) as population_group,
        cast(population as {{ dbt.type_bigint() }}) as population

    from source

)

select * from renamed
