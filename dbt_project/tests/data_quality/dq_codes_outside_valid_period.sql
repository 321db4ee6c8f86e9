{{ config(severity='warn', tags=['data_quality']) }}
{#
  ICD codes recorded outside the period their version was in use in US claims (DQD plausibleTemporal for
  vocabularies): ICD-10-CM / ICD-10-PCS before icd10_effective_date (2015-10-01, the HIPAA switch date) and
  ICD-9-CM / ICD-9-PCS on or after it. Either means a wrong date or a mislabelled code system; the surgery
  study maps both versions, so the record is used, but its date or system deserves a look.
#}
{%- set switch_date = dbt.cast(dbt.string_literal(var('icd10_effective_date', '2015-10-01')),
                               api.Column.translate_type('date')) -%}
with

codes as (

    select 'diagnoses' as table_name, patient_id, dx_date as event_date, code_system
    from {{ ref('stg_ehr__diagnoses') }}
    union all
    select 'procedures' as table_name, patient_id, px_date as event_date, code_system
    from {{ ref('stg_ehr__procedures') }}

)

select table_name, patient_id, event_date, code_system
from codes
where (code_system in ('ICD10CM', 'ICD10PCS') and event_date < {{ switch_date }})
   or (code_system in ('ICD9CM', 'ICD9PCS') and event_date >= {{ switch_date }})
