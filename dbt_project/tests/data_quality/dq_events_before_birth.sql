{{ config(severity='error', tags=['data_quality']) }}
-- Events dated before the patient's birth (DQD plausibleAfterBirth). The loader rejects these, so any row
-- here means data reached raw.* without `lumbar load`: an error.
select table_name, patient_id, event_date
from {{ ref('dq_patient_events') }}
where event_date < birth_date
