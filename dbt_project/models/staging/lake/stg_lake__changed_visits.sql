-- The keys whose visits facts tonight's raw load changed (raw._changed_visits): what the
-- incremental fact recomputes.

select
    cast(institution_code as {{ dbt.type_string() }}) as institution_code,
    cast(visit_type as {{ dbt.type_string() }}) as visit_type,
    cast(visit_id as {{ dbt.type_string() }}) as visit_id
from {{ source('lake', '_changed_visits') }}
