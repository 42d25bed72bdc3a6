-- One row per institution period: every row of the registry (one per membership period), plus
-- one open-ended row per institution code that claims name but the registry does not hold,
-- typed from the national insurance code (H/P + 6-digit region + 5-digit serial).

with registry as (

    select * from {{ ref('stg_reference__institutions') }}

),

tiers as (

    select * from {{ ref('institution_tiers') }}

),

claim_institutions as (

    select distinct institution_code
    from {{ ref('stg_lake__claims') }}
    where institution_code is not null

),

registered as (

    select
        {{ generate_surrogate_key(['registry.institution_code', 'registry.consortium_id', 'registry.role', 'registry.valid_from']) }}
            as institution_period_key,
        registry.institution_code,
        registry.institution_name,
        registry.tier,
        tiers.level,
        coalesce(tiers.is_primary_care, false) as is_primary_care,
        registry.is_tcm,
        registry.region_code,
        registry.consortium_id,
        registry.role,
        registry.valid_from,
        registry.valid_to,
        coalesce(registry.valid_from, {{ open_start_date() }}) as period_start,
        coalesce(registry.valid_to, {{ open_end_date() }}) as period_end,
        case when registry.role in ('lead', 'member') then 0 else 1 end as role_priority,
        true as is_registered,
        false as is_pharmacy,
        'registry' as code_scheme

    from registry
    left join tiers
        on tiers.tier = registry.tier

),

unregistered as (

    select
        claim_institutions.institution_code,
        -- the national insurance code: H (medical) / P (pharmacy) + 6-digit region + 5 digits
        {{ regex_full_match('claim_institutions.institution_code', "'[HP][0-9]{11}'") }} as is_national_code
    from claim_institutions
    where not exists (
        select 1
        from registry
        where registry.institution_code = claim_institutions.institution_code
    )

),

unregistered_typed as (

    select
        {{ generate_surrogate_key(['unregistered.institution_code', 'null', 'null', 'null']) }}
            as institution_period_key,
        unregistered.institution_code,
        cast(null as {{ dbt.type_string() }}) as institution_name,
        cast(null as {{ dbt.type_string() }}) as tier,
        cast(null as {{ dbt.type_int() }}) as level,
        -- an unregistered H code is an external hospital of unknown tier: not primary care
        false as is_primary_care,
        false as is_tcm,
        case
            when unregistered.is_national_code then substring(unregistered.institution_code, 2, 6)
        end as region_code,
        cast(null as {{ dbt.type_string() }}) as consortium_id,
        cast(null as {{ dbt.type_string() }}) as role,
        cast(null as date) as valid_from,
        cast(null as date) as valid_to,
        {{ open_start_date() }} as period_start,
        {{ open_end_date() }} as period_end,
        2 as role_priority,
        false as is_registered,
        coalesce(
            unregistered.is_national_code and substring(unregistered.institution_code, 1, 1) = 'P',
            false
        ) as is_pharmacy,
        case
            when not unregistered.is_national_code then 'unknown'
            when substring(unregistered.institution_code, 1, 1) = 'P' then 'national_pharmacy'
            else 'national_medical'
        end as code_scheme

    from unregistered

),

unioned as (

    select * from registered
    union all
    select * from unregistered_typed

)

select
    unioned.*,
    row_number() over (
        partition by unioned.institution_code
        order by unioned.period_start desc, unioned.period_end desc, unioned.role_priority,
            unioned.institution_period_key
    ) = 1 as is_latest_period

from unioned
