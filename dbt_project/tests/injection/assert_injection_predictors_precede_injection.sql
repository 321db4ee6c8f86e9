-- Leakage: mart_injection_features' predictors are known at the injection; its outcome is measured after it.
-- The baseline NRS and the MRI are dated on or before the injection day (002: baseline on the injection day
-- or before it; the MRI before the procedure) and the follow-up NRS is dated after the injection. Fails with
-- the key of every mart row whose cohort dates break that order or whose injection_date is not the cohort's.
with

features as (

    select patient_id, injection_date, image_id from {{ ref('mart_injection_features') }}

),

cohort_dates as (

    select patient_id, injection_date, nrs_pre_date, nrs_post_date, image_id, image_date
    from {{ ref('cohort_injection') }}

)

select f.patient_id
from features as f
left join cohort_dates as c
    on f.patient_id = c.patient_id
where c.patient_id is null
    or f.injection_date <> c.injection_date
    or f.image_id <> c.image_id
    or c.nrs_pre_date > c.injection_date
    or c.image_date > c.injection_date
    or c.nrs_post_date <= c.injection_date
