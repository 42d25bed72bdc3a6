-- The settlements whose claims facts tonight's raw load changed (raw._changed_claims): what the
-- incremental fact recomputes.

select cast(claim_id as {{ dbt.type_string() }}) as claim_id
from {{ source('lake', '_changed_claims') }}
