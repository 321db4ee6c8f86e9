{{ config(severity='warn', tags=['data_quality']) }}
-- Imaging studies with no report text, or text without a single letter or digit. An index image without a
-- report gives the text models nothing; mart_surgery_report keeps the patient with an empty report.
select image_id, patient_id, image_date
from {{ ref('stg_ehr__imaging') }}
where report_text is null
   or not {{ regexp_matches('report_text', '[A-Za-z0-9]') }}
