{#
  The early and late surgery cohorts differ only in which first-decompression window is positive
  (candidates.surgery_timing, set by cohort_surgery_candidates from the window vars): one body keeps the
  two cohorts' eligibility, label and split rules identical.
#}
{% macro surgery_cohort(timing) %}
with

candidates as (

    select * from {{ ref('cohort_surgery_candidates') }}

),

eligible as (

    select
        patient_id,
        index_date,
        cast(case when surgery_timing = '{{ timing }}' then 1 else 0 end as {{ dbt.type_int() }}) as label,
        case when surgery_timing = '{{ timing }}' then surgery_date end as surgery_date,
        cast(case when surgery_timing = '{{ timing }}' then days_to_surgery end as {{ dbt.type_int() }}) as days_to_surgery,
        site,
        index_image_id,
        index_modality
    from candidates
    where is_ldh_lss
      {% if var('surgery_exclude_prior_decompression') %}and not has_prior_decompression{% endif %}
      and outcome_known
      and surgery_timing in ('{{ timing }}', 'none', 'after_window')

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
{% endmacro %}
