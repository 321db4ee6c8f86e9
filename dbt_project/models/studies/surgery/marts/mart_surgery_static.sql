{#
  One row per task and cohort patient: label, split, site and the static predictors ("patient and provider
  demographics along with the type of index image", 000_dc58a6666935e68a.txt). Unknown categorical values are
  'unknown' so the trainer's dummy coding sees them as a level, never as a dropped row.
#}
with

cohorts as (

    select 'early' as task, * from {{ ref('cohort_surgery_early') }}
    union all
    select 'late' as task, * from {{ ref('cohort_surgery_late') }}

),

patients as (

    select * from {{ ref('stg_ehr__patients') }}

),

providers as (

    select * from {{ ref('stg_ehr__providers') }}

),

joined as (

    select
        c.task,
        c.patient_id,
        c.index_date,
        c.label,
        c.split,
        c.site,
        {{ completed_years('p.birth_date', 'c.index_date') }} as age_at_index,
        p.sex,
        coalesce(p.race, 'unknown') as race,
        coalesce(p.ethnicity, 'unknown') as ethnicity,
        coalesce(pr.gender, 'unknown') as pcp_gender,
        coalesce(pr.clinician_type, 'unknown') as pcp_clinician_type,
        coalesce(pr.specialty, 'unknown') as pcp_specialty,
        c.index_modality,
        c.index_image_id,
        c.surgery_date,
        c.days_to_surgery
    from cohorts as c
    inner join patients as p
        on c.patient_id = p.patient_id
    left join providers as pr
        on p.pcp_provider_id = pr.provider_id

)

-- sorted by the key: parallel hash joins give rows in any order, and marts must be byte-identical
select * from joined
order by task, patient_id
