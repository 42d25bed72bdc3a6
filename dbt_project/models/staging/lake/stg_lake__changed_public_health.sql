-- The keys whose public-health facts tonight's raw load changed (raw._changed_public_health):
-- what the incremental fact recomputes.

select
    cast(institution_code as {{ dbt.type_string() }}) as institution_code,
    cast(service_id as {{ dbt.type_string() }}) as service_id
from {{ source('lake', '_changed_public_health') }}
