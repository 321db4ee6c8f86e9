{{ config(materialized='view') }}
{#
  Every dated clinical event (diagnosis, procedure, prescription, observation, imaging study) with the
  patient's birth and death dates: the one place the plausibility checks (tests/data_quality) read event
  dates from, so each check is a short filter. A view: it copies no patient data.
  Orphan events (no patients row) are kept with null birth/death dates; the loader rejects them, and
  dq_events_without_patient makes any that slip through visible.
#}
with

patients as (

    select patient_id, birth_date, death_date from {{ ref('stg_ehr__patients') }}

),

events as (

    select 'diagnoses' as table_name, patient_id, dx_date as event_date from {{ ref('stg_ehr__diagnoses') }}
    union all
    select 'procedures' as table_name, patient_id, px_date as event_date from {{ ref('stg_ehr__procedures') }}
    union all
    select 'prescriptions' as table_name, patient_id, rx_date as event_date from {{ ref('stg_ehr__prescriptions') }}
    union all
    select 'observations' as table_name, patient_id, obs_date as event_date from {{ ref('stg_ehr__observations') }}
    union all
    select 'imaging' as table_name, patient_id, image_date as event_date from {{ ref('stg_ehr__imaging') }}

),

with_patient as (

    select
        e.table_name,
        e.patient_id,
        e.event_date,
        p.patient_id is not null as has_patient,
        p.birth_date,
        p.death_date
    from events as e
    left join patients as p
        on e.patient_id = p.patient_id

)

select * from with_patient
