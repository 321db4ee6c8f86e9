-- Leakage: the outcome window (days >= 1 after index) never overlaps the feature window (days before index):
-- every positive's surgery is after the index day, and it lies inside its task's window.
with

positives as (

    select 'early' as task, patient_id, index_date, surgery_date, days_to_surgery
    from {{ ref('cohort_surgery_early') }}
    where label = 1

    union all

    select 'late' as task, patient_id, index_date, surgery_date, days_to_surgery
    from {{ ref('cohort_surgery_late') }}
    where label = 1

)

select *
from positives
where surgery_date <= index_date
   or {{ days_between('index_date', 'surgery_date') }} <> days_to_surgery
   or (task = 'early' and days_to_surgery > {{ var('surgery_early_window_days') | int }})
   or (task = 'late' and days_to_surgery <= {{ var('surgery_late_gap_days') | int }})
