{#
  Corpus for word-embedding pre-training ("reports post LIRE enrollment", 000_dc58a6666935e68a.txt): every
  report of every indexed patient dated on or after that patient's index (enrolment) date, cleaned like the
  index reports. Not restricted to cohort patients, as in the paper; the embedding is unsupervised and sees
  no labels.
#}
with

index_dates as (

    select patient_id, index_date from {{ ref('int_index_imaging') }}

),

reports as (

    select * from {{ ref('int_imaging_reports_cleaned') }}

),

after_enrolment as (

    select
        r.image_id,
        r.patient_id,
        r.image_date,
        r.modality,
        r.body_region,
        r.report_clean,
        r.sections_found
    from reports as r
    inner join index_dates as i
        on r.patient_id = i.patient_id
    where r.image_date >= i.index_date

)

-- sorted by the key: parallel hash joins give rows in any order, and marts must be byte-identical
select * from after_enrolment
order by image_id
