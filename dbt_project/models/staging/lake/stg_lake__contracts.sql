with source as (

    select * from {{ source('lake', 'contracts') }}

),

renamed as (

    select
        -- delivery
        {{ delivery_columns() }},

        -- record (one delivered state of the contract)
        cast(contract_id as {{ dbt.type_string() }}) as contract_id,
        cast(institution_code as {{ dbt.type_string() }}) as institution_code,
        cast(team_code as {{ dbt.type_string() }}) as team_code,
        cast(patient_key as {{ dbt.type_string() }}) as patient_key,
        cast(sex as {{ dbt.type_string() }}) as sex,
        cast(birth_date as date) as birth_date,
        cast(sign_date as date) as sign_date,
        cast(start_date as date) as start_date,
        cast(end_date as date) as end_date,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(terminated_date as date) as terminated_date,
        -- the ingest stores both lists trimmed and joined by ';' (key populations as sorted codes)
        cast(key_populations as {{ dbt.type_string() }}) as key_populations,
        cast(hospital_codes as {{ dbt.type_string() }}) as hospital_codes

    from source

)

select * from renamed
