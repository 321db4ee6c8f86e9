{{ config(severity='warn', tags=['data_quality']) }}
{#
  Codes the source wrote in a non-standard shape that staging had to repair ("7242.", "m54,5",
  "ICD10:M545", "CPT 63047"): neither the normalised code nor its dotted display form, ignoring case and
  surrounding spaces. The repaired code is used; the count tells the data owner their export writes codes
  in an unusual way (and a reviewer that normalisation, not the source, decided what the code is).
#}
with

codes as (

    select 'diagnoses' as table_name, patient_id, dx_date as event_date, source_code, code, code_display
    from {{ ref('stg_ehr__diagnoses') }}
    union all
    select 'procedures' as table_name, patient_id, px_date as event_date, source_code, code, code_display
    from {{ ref('stg_ehr__procedures') }}

)

select table_name, patient_id, event_date
from codes
where upper(trim(source_code)) <> code
  and upper(trim(source_code)) <> code_display
