-- Leakage: every feature row in the surgery marts comes from events dated in the feature window,
-- strictly before the index date and no earlier than feature_n_bins x feature_bin_days days before it.
-- Fails with every mart feature row without such an event.
with

codes as (

    select * from {{ ref('mart_surgery_codes') }}

),

static as (

    select task, patient_id, index_date from {{ ref('mart_surgery_static') }}

),

binned as (

    select * from {{ ref('int_events_binned_monthly') }}
    where feature is not null

)

select c.task, c.patient_id, c.feature_type, c.feature, c.bin
from codes as c
inner join static as s
    on c.task = s.task
    and c.patient_id = s.patient_id
left join binned as b
    on c.patient_id = b.patient_id
    and c.bin = b.bin
    and c.feature_type = b.feature_type
    and c.feature = b.feature
    and b.index_date = s.index_date
    and b.bin_end_date < s.index_date
    and b.bin_start_date >= {{ dbt.dateadd('day', -((var('feature_n_bins') | int) * (var('feature_bin_days') | int)), 's.index_date') }}
where b.patient_id is null
