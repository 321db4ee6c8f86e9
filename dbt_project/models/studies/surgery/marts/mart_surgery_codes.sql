{#
  Long temporal features for the deep-learning model: one row per task, cohort patient, feature and monthly
  bin with at least one event (int_events_binned_monthly; bin 3 = the 30 days just before index, bin 1 =
  days 61..90 before). Empty bins carry no row here: the trainer builds the patients x n_bins x features
  tensor from mart_surgery_static (every patient gets all bins) and fills zeros.
#}
with

cohorts as (

    select 'early' as task, patient_id from {{ ref('cohort_surgery_early') }}
    union all
    select 'late' as task, patient_id from {{ ref('cohort_surgery_late') }}

),

binned as (

    select * from {{ ref('int_events_binned_monthly') }}
    where feature is not null

),

codes as (

    select
        c.task,
        c.patient_id,
        b.feature_type,
        b.feature,
        b.bin,
        b.n_events
    from cohorts as c
    inner join binned as b
        on c.patient_id = b.patient_id

)

-- sorted by the key: parallel hash joins give rows in any order, and marts must be byte-identical
select * from codes
order by task, patient_id, feature_type, feature, bin
