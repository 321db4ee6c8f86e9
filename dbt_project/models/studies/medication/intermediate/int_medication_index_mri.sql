{#
  Each patient's first lumbar spine MRI on record: the medication study's index (004_8aea355467337d34.txt,
  Fig. 1(a): "first lumbar spine MRI"; the modalities and body regions are vars medication_index_modalities and
  medication_index_body_regions). Every date is kept here; cohort_medication applies the date range, so a
  patient whose first lumbar MRI predates the range is not re-indexed on a later one. Several lumbar MRIs on the
  first day: the one with a report wins, then the lowest image_id.
#}
with

imaging as (

    select * from {{ ref('stg_ehr__imaging') }}

),

index_modality_images as (

    select
        patient_id,
        image_id,
        image_date,
        report_text,
        (report_text is not null and trim(report_text) <> '') as has_report
    from imaging
    where modality in {{ sql_string_list(var('medication_index_modalities')) }}
      and body_region in {{ sql_string_list(var('medication_index_body_regions')) }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by patient_id
            order by image_date, case when has_report then 0 else 1 end, image_id
        ) as mri_rank
    from index_modality_images

),

first_image as (

    select
        patient_id,
        image_id as index_image_id,
        image_date as index_date,
        has_report,
        report_text
    from ranked
    where mri_rank = 1

)

select * from first_image
