{#
  Every feature seen in a task's cohort, with its prevalence among training patients only (test rows never
  influence which features are kept):
    kept_classical: feature_rare_threshold < train_prevalence < feature_common_threshold, i.e. the paper's
                    "excluded extremely rare (<= 0.1%) or common (>= 99%) features" for the LASSO model;
    kept_temporal:  seen in at least feature_temporal_min_train_patients training patients (default 1): the
                    paper's deep-learning feature counts (41/245/160) exceed the classical ones (25/103/71),
                    so no rare/common filter is applied there; features absent from training are dropped.
#}
with

static as (

    select task, patient_id, split from {{ ref('mart_surgery_static') }}

),

codes_patient as (

    select * from {{ ref('mart_surgery_codes_patient') }}

),

train_size as (

    select task, count(*) as n_train_total
    from static
    where split = 'train'
    group by task

),

feature_counts as (

    select
        c.task,
        c.feature_type,
        c.feature,
        cast(sum(case when s.split = 'train' then 1 else 0 end) as {{ dbt.type_bigint() }}) as n_train_patients,
        count(*) as n_patients
    from codes_patient as c
    inner join static as s
        on c.task = s.task
        and c.patient_id = s.patient_id
    group by c.task, c.feature_type, c.feature

),

with_prevalence as (

    select
        f.task,
        f.feature_type,
        f.feature,
        f.n_train_patients,
        t.n_train_total,
        f.n_patients,
        cast(f.n_train_patients as double) / nullif(t.n_train_total, 0) as train_prevalence
    from feature_counts as f
    inner join train_size as t
        on f.task = t.task

),

flagged as (

    select
        *,
        coalesce(
            train_prevalence > {{ var('feature_rare_threshold') }}
            and train_prevalence < {{ var('feature_common_threshold') }},
            false
        ) as kept_classical,
        n_train_patients >= {{ var('feature_temporal_min_train_patients') | int }} as kept_temporal
    from with_prevalence

)

-- sorted by the key: parallel hash joins give rows in any order, and marts must be byte-identical
select * from flagged
order by task, feature_type, feature
