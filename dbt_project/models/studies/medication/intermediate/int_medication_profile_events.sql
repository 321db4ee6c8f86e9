{#
  The charted facts the medication-study profile is built from, for every patient with an index MRI: chart
  diagnosis groups (med_chart_dx_groups) and mapped observations (med_observation_values; a BMI of at least
  medication_obesity_min_bmi (30) as obesity; negative_psych_state), restricted to events dated on or before index + medication_feature_days_after_index
  (30; 004_8aea355467337d34.txt: profiles "up to one month after their first lumbar spine MRI"). Long form:
  one row per event; the mart takes a flag per diagnosis group and the latest value per observation feature.
#}
with

index_mri as (

    select patient_id, index_date from {{ ref('int_medication_index_mri') }}

),

coded as (

    select * from {{ ref('int_medication_coded_events') }}
    where code_list = 'chart_dx'

),

observations as (

    select * from {{ ref('stg_ehr__observations') }}

),

observation_values as (

    select * from {{ ref('med_observation_values') }}

),

diagnosis_events as (

    select
        c.patient_id,
        'diagnosis' as source,
        c.code_group as feature,
        '1' as feature_value,
        c.event_date
    from coded as c

),

categorical_observations as (

    select
        o.patient_id,
        'observation' as source,
        v.feature,
        v.value as feature_value,
        o.obs_date as event_date
    from observations as o
    inner join observation_values as v
        on o.name = v.observation
        and lower(o.value_text) = v.source_value

),

numeric_observations as (

    select
        patient_id,
        'observation' as source,
        case name when 'bmi' then 'obesity' else name end as feature,
        case
            when name = 'bmi' and value_num >= {{ var('medication_obesity_min_bmi') }} then '1'
            when name = 'negative_psych_state' and value_num >= 1 then '1'
            else '0'
        end as feature_value,
        obs_date as event_date
    from observations
    where name in ('bmi', 'negative_psych_state')
      and value_num is not null

),

events as (

    select * from diagnosis_events
    union all
    select * from categorical_observations
    union all
    select * from numeric_observations

),

known_by_cutoff as (

    select
        e.patient_id,
        i.index_date,
        e.source,
        e.feature,
        e.feature_value,
        e.event_date
    from events as e
    inner join index_mri as i
        on e.patient_id = i.patient_id
    where e.event_date <= {{ dbt.dateadd('day', var('medication_feature_days_after_index'), 'i.index_date') }}

)

select * from known_by_cutoff
