with source as (

    select * from {{ source('lake', 'referrals') }}

),

renamed as (

    select
        -- delivery
        {{ delivery_columns() }},

        -- record (one event in the referral's life)
        cast(referral_id as {{ dbt.type_string() }}) as referral_id,
        cast(from_institution_code as {{ dbt.type_string() }}) as from_institution_code,
        cast(to_institution_code as {{ dbt.type_string() }}) as to_institution_code,
        cast(patient_key as {{ dbt.type_string() }}) as patient_key,
        cast(sex as {{ dbt.type_string() }}) as sex,
        cast(birth_date as date) as birth_date,
        cast(referral_date as date) as referral_date,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(diagnosis_code as {{ dbt.type_string() }}) as diagnosis_code

    from source

)

select * from renamed
