{#
  Late decompression surgery cohort (000_dc58a6666935e68a.txt, "Outcome"): LDH/LSS patients
  (ph_ldh_lss) not operated on or before index, with a known outcome; label 1 = first decompression on days surgery_late_gap_days + 1 .. + surgery_late_window_days (61..425) after index ("within 12 months after a 2 month gap"),
  label 0 = no decompression within 14 months (days 1..425). Patients whose first decompression is in the
  early window are not in this cohort, so no patient is positive in both tasks.
  split: deterministic, stratified by label (macro split_column).
#}
with

candidates as (

    select * from {{ ref('cohort_surgery_candidates') }}

),

eligible as (

    select
        patient_id,
        index_date,
        cast(case when surgery_timing = 'late' then 1 else 0 end as {{ dbt.type_int() }}) as label,
        case when surgery_timing = 'late' then surgery_date end as surgery_date,
        cast(case when surgery_timing = 'late' then days_to_surgery end as {{ dbt.type_int() }}) as days_to_surgery,
        site,
        index_image_id,
        index_modality
    from candidates
    where is_ldh_lss
      {% if var('surgery_exclude_prior_decompression') %}and not has_prior_decompression{% endif %}
      and outcome_known
      and surgery_timing in ('late', 'none', 'after_window')

),

split as (

    select
        patient_id,
        index_date,
        label,
        surgery_date,
        days_to_surgery,
        site,
        {{ split_column('label') }} as split,
        index_image_id,
        index_modality
    from eligible

)

select * from split
