{#
  Stratification survey participants (seeds/001_052d89f173b9bcf3.txt): everyone with at least one Örebro or
  STarT Back item recorded. Visit = the first day with such an item. Study MRI = the lumbar MRI (vars
  stratification_image_modalities / _body_regions) that has imaging_measurements and is closest to the visit
  within ±stratification_image_window_days (ties: earlier study, then image_id). Participants without such an
  MRI stay in the cohort with a null image_id so the mart's complete-case flag, not a silent drop, shows them.
#}
with

questionnaire_items as (

    select patient_id, obs_date
    from {{ ref('stg_ehr__observations') }}
    where {{ starts_with('name', 'orebro_q') }} or {{ starts_with('name', 'sbt_q') }}

),

visits as (

    select patient_id, min(obs_date) as visit_date
    from questionnaire_items
    group by patient_id

),

measured_images as (

    select distinct image_id
    from {{ ref('stg_ehr__imaging_measurements') }}

),

candidate_images as (

    select
        v.patient_id,
        i.image_id,
        i.image_date,
        abs({{ days_between('v.visit_date', 'i.image_date') }}) as days_from_visit
    from visits as v
    inner join {{ ref('stg_ehr__imaging') }} as i
        on v.patient_id = i.patient_id
    inner join measured_images as m
        on i.image_id = m.image_id
    where i.modality in {{ sql_string_list(var('stratification_image_modalities')) }}
        and i.body_region in {{ sql_string_list(var('stratification_image_body_regions')) }}
        and abs({{ days_between('v.visit_date', 'i.image_date') }}) <= {{ var('stratification_image_window_days') }}

),

closest_image as (

    select patient_id, image_id, image_date
    from (
        select
            *,
            row_number() over (
                partition by patient_id order by days_from_visit, image_date, image_id
            ) as rank_in_patient
        from candidate_images
    ) as ranked
    where rank_in_patient = 1

),

final as (

    select
        v.patient_id,
        p.site,
        p.sex,
        v.visit_date,
        {{ completed_years('p.birth_date', 'v.visit_date') }}
            as age_at_visit,
        c.image_id,
        c.image_date
    from visits as v
    inner join {{ ref('stg_ehr__patients') }} as p
        on v.patient_id = p.patient_id
    left join closest_image as c
        on v.patient_id = c.patient_id

)

select * from final
