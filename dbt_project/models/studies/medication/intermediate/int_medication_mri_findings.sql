{#
  One row per medication-cohort patient whose index MRI has a report: the highest severity of each finding over all lumbar levels
  (int_medication_mri_findings_by_level), 0 = absent, 1 mild, 2 moderate, 3 severe.
#}
{%- set findings = ['disc_pathology', 'spinal_canal_stenosis', 'lateral_recess_stenosis', 'foraminal_stenosis',
                    'facet_joint', 'endplate_change', 'curvature'] -%}
with

reports as (

    select patient_id, index_image_id as image_id from {{ ref('cohort_medication') }}
    where has_report

),

by_level as (

    select * from {{ ref('int_medication_mri_findings_by_level') }}

),

per_image as (

    select
        r.patient_id,
        r.image_id,
        {%- for f in findings %}
        cast(coalesce(max(case when b.finding = '{{ f }}' then b.severity end), 0) as {{ dbt.type_int() }}) as mri_{{ f }}
        {{- ',' if not loop.last }}
        {%- endfor %}
    from reports as r
    left join by_level as b
        on r.image_id = b.image_id
    group by r.patient_id, r.image_id

)

select * from per_image
