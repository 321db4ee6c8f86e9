-- Every cohort patient has exactly feature_n_bins monthly bins in the bin spine (empty bins kept),
-- including patients with no events at all.
with

cohort_patients as (

    select patient_id from {{ ref('cohort_surgery_early') }}
    union
    select patient_id from {{ ref('cohort_surgery_late') }}

),

bins as (

    select patient_id, count(distinct bin) as n_bins
    from {{ ref('int_events_binned_monthly') }}
    group by patient_id

)

select c.patient_id, coalesce(b.n_bins, 0) as n_bins
from cohort_patients as c
left join bins as b
    on c.patient_id = b.patient_id
where coalesce(b.n_bins, 0) <> {{ var('feature_n_bins') | int }}
