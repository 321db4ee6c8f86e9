{{ config(severity='warn', tags=['data_quality']) }}
-- Events dated after the patient's death (DQD plausibleDuringLife). The loader rejects events more than
-- 30 days after death and keeps the rest (late documentation and billing); they are counted here.
select table_name, patient_id, event_date
from {{ ref('dq_patient_events') }}
where event_date > death_date
