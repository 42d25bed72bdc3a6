with source as (

    select * from {{ source('lake', 'visits') }}

),

renamed as (

    select
        -- delivery
        cast(business_date as date) as business_date,
        cast(source_code as {{ dbt.type_string() }}) as source_code,
        cast(file_sha256 as {{ dbt.type_string() }}) as file_sha256,
        cast(file_name as {{ dbt.type_string() }}) as file_name,
        cast(row_number as {{ dbt.type_int() }}) as source_row_number,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at,

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
