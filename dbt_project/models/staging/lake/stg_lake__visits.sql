with source as (

    select * from {{ source('lake', 'visits') }}

),

renamed as (

    select
        -- delivery
        {{ delivery_columns() }},

        -- record
        cast(visit_id as {{ dbt.type_string() }}) as visit_id,
        cast(institution_code as {{ dbt.type_string() }}) as institution_code,
        cast(patient_key as {{ dbt.type_string() }}) as patient_key,
        cast(sex as {{ dbt.type_string() }}) as sex,
        cast(birth_date as date) as birth_date,
        cast(residence_region_code as {{ dbt.type_string() }}) as residence_region_code,
        cast(visit_type as {{ dbt.type_string() }}) as visit_type,
        cast(visit_date as date) as visit_date,
        cast(discharge_date as date) as discharge_date,
        cast(department as {{ dbt.type_string() }}) as department,
        cast(diagnosis_code as {{ dbt.type_string() }}) as diagnosis_code,
        cast(total_cost as numeric(18, 2)) as total_cost

    from source

)

select * from renamed
