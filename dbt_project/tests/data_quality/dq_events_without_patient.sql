{{ config(severity='error', tags=['data_quality']) }}
-- Events whose patient_id is not in patients (DQD fkDomain / orphan records). The loader rejects orphans,
-- so a row here is data that bypassed it: an error.
select table_name, patient_id, event_date
from {{ ref('dq_patient_events') }}
where not has_patient
