with source as (

    select * from {{ source('reference', 'institutions') }}

),

renamed as (

    select
        cast(institution_code as {{ dbt.type_string() }}) as institution_code,
        cast(name as {{ dbt.type_string() }}) as institution_name,
        cast(tier as {{ dbt.type_string() }}) as tier,
        cast(region_code as {{ dbt.type_string() }}) as region_code,
        cast(consortium_id as {{ dbt.type_string() }}) as consortium_id,
        cast(role as {{ dbt.type_string() }}) as role,
        cast(valid_from as date) as valid_from,
        cast(valid_to as date) as valid_to,
        -- 中医类机构; the ingest reads an absent or empty tcm as 0
        coalesce(cast(tcm as {{ dbt.type_boolean() }}), false) as is_tcm

    from source

)

select * from renamed
