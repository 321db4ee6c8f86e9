{{ config(severity='warn', tags=['data_quality']) }}
{#
  Patients older than dq_max_age_years (110) at any recorded event or at death (DQD plausibleValueHigh
  on age). Usually a mistyped birth year (1915 for 1951) or a placeholder birth date. One row per patient.
#}
{%- set max_age = var('dq_max_age_years', 110) | int -%}
with

patients as (

    select patient_id, birth_date, death_date from {{ ref('stg_ehr__patients') }}

),

last_dates as (

    select patient_id, max(event_date) as last_event_date
    from {{ ref('dq_patient_events') }}
    group by patient_id

),

oldest as (

    select
        p.patient_id,
        p.birth_date,
        greatest(coalesce(l.last_event_date, p.birth_date), coalesce(p.death_date, p.birth_date)) as last_seen_date
    from patients as p
    left join last_dates as l
        on p.patient_id = l.patient_id

)

select patient_id
from oldest
where last_seen_date > {{ dbt.dateadd('year', max_age, 'birth_date') }}
