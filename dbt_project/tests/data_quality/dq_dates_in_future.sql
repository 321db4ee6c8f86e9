{{ config(severity='error', tags=['data_quality']) }}
-- Event, birth or death dates after today (DQD plausibleTemporal). The loader rejects dates after the day
-- of the load, so a row here is a date that bypassed it: an error.
with

patient_dates as (

    select 'patients.birth_date' as table_name, patient_id, birth_date as event_date
    from {{ ref('stg_ehr__patients') }}
    union all
    select 'patients.death_date' as table_name, patient_id, death_date as event_date
    from {{ ref('stg_ehr__patients') }}

),

all_dates as (

    select table_name, patient_id, event_date from {{ ref('dq_patient_events') }}
    union all
    select table_name, patient_id, event_date from patient_dates

)

select table_name, patient_id, event_date
from all_dates
where event_date > {{ dbt.cast(dbt.current_timestamp(), api.Column.translate_type('date')) }}
