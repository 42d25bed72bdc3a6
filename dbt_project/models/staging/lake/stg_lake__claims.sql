with source as (

    select * from {{ source('lake', 'claims') }}

),

renamed as (

    select
        -- delivery
        {{ delivery_columns() }},

        -- record
        cast(claim_id as {{ dbt.type_string() }}) as claim_id,
        cast(record_type as {{ dbt.type_string() }}) as record_type,
        cast(original_claim_id as {{ dbt.type_string() }}) as original_claim_id,
        cast(settlement_date as date) as settlement_date,
        cast(institution_code as {{ dbt.type_string() }}) as institution_code,
        cast(visit_id as {{ dbt.type_string() }}) as visit_id,
        cast(patient_key as {{ dbt.type_string() }}) as patient_key,
        cast(sex as {{ dbt.type_string() }}) as sex,
        cast(birth_date as date) as birth_date,
        cast(insured_region_code as {{ dbt.type_string() }}) as insured_region_code,
        cast(insurance_scheme as {{ dbt.type_string() }}) as insurance_scheme,
        cast(visit_type as {{ dbt.type_string() }}) as visit_type,
        cast(total_amount as numeric(18, 2)) as total_amount,
        cast(fund_paid as numeric(18, 2)) as fund_paid,
        cast(personal_paid as numeric(18, 2)) as personal_paid

    from source

)

select * from renamed
