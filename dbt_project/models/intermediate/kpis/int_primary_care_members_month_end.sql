-- One row per (consortium, month, institution) that is a primary-care lead or member of the
-- consortium on the month's last day: "the consortium's primary-care institutions" of the
-- signing KPIs. Overlapping registry periods of one institution count once.

with spine as (

    select * from {{ ref('int_consortium_months_spined') }}

),

memberships as (

    select * from {{ ref('int_memberships_filtered') }}
    where is_primary_care

)

select distinct
    spine.consortium_id,
    spine.month_start,
    spine.month_end,
    spine.year,
    memberships.institution_code

from spine
inner join memberships
    on memberships.consortium_id = spine.consortium_id
    and spine.month_end between memberships.period_start and memberships.period_end
