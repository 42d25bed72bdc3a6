-- Consortium scope: the registry periods in which an institution is the lead or a
-- member of a consortium. An institution counts for a consortium on a date when the date lies
-- in [valid_from, period_end] of one of these rows (empty valid_to = open).

with periods as (

    select * from {{ ref('int_institution_periods_unioned') }}

)

select
    institution_period_key,
    consortium_id,
    institution_code,
    role,
    tier,
    level,
    is_primary_care,
    is_tcm,
    region_code,
    valid_from,
    valid_to,
    period_start,
    period_end

from periods
where is_registered
  and role in ('lead', 'member')
  and consortium_id is not null
  and valid_from is not null
