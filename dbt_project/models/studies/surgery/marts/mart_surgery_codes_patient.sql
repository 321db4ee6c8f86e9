{#
  Patient-level form of mart_surgery_codes for the classical model ("dummy variables ... at the
  patient-level"): one row per task, patient and feature with n_events summed over the bins.
#}
with

codes as (

    select * from {{ ref('mart_surgery_codes') }}

),

per_patient as (

    select
        task,
        patient_id,
        feature_type,
        feature,
        cast(sum(n_events) as {{ dbt.type_bigint() }}) as n_events,
        count(*) as n_bins_with_feature
    from codes
    group by task, patient_id, feature_type, feature

)

-- sorted by the key: parallel hash joins give rows in any order, and marts must be byte-identical
select * from per_patient
order by task, patient_id, feature_type, feature
