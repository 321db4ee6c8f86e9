{#
  The index imaging report of every task and cohort patient: findings and impression sections, cleaned
  (int_imaging_reports_cleaned). sections_found is false when no section header was found; the whole
  report is used then.
#}
with

cohorts as (

    select 'early' as task, patient_id, index_image_id from {{ ref('cohort_surgery_early') }}
    union all
    select 'late' as task, patient_id, index_image_id from {{ ref('cohort_surgery_late') }}

),

reports as (

    select * from {{ ref('int_imaging_reports_cleaned') }}

),

index_reports as (

    select
        c.task,
        c.patient_id,
        r.image_id,
        r.modality,
        r.report_clean,
        r.sections_found
    from cohorts as c
    inner join reports as r
        on c.index_image_id = r.image_id

)

-- sorted by the key: parallel hash joins give rows in any order, and marts must be byte-identical
select * from index_reports
order by task, patient_id
