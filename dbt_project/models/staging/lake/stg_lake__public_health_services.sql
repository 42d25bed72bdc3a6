with source as (

    select * from {{ source('lake', 'public_health') }}

),

renamed as (

    select
        -- delivery
        {{ delivery_columns() }},

        -- record
        cast(service_id as {{ dbt.type_string() }}) as service_id,
        cast(institution_code as {{ dbt.type_string() }}) as institution_code,
        cast(patient_key as {{ dbt.type_string() }}) as patient_key,
        cast(sex as {{ dbt.type_string() }}) as sex,
        cast(birth_date as date) as birth_date,
        cast(service_date as date) as service_date,
        cast(service_item as {{ dbt.type_string() }}) as service_item,
        cast(systolic_bp as {{ dbt.type_int() }}) as systolic_bp,
        cast(diastolic_bp as {{ dbt.type_int() }}) as diastolic_bp,
        cast(fasting_glucose as {{ type_double() }}) as fasting_glucose

    from source

)

select * from renamed
