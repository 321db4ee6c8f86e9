{{ config(severity='warn', tags=['data_quality']) }}
{#
  Diagnosis and procedure codes whose normalised form (staging: upper case, dots, commas and a leading
  system prefix removed, so "7242." -> 7242, "m54,5" -> M545, "ICD10:M545" -> M545) still does not have the
  shape of its code system (DQD plausibleValue / isStandardValidConcept, by shape since lumbar ships no full
  vocabulary): an ICD-10 code labelled ICD9CM, a truncated or over-long code, stray text. Such a code never
  joins a code list, so its record silently drops out of phenotypes and features.
    ICD9CM    3-5 digits, V + 2-4 digits, E + 3-4 digits        ICD10CM   letter, digit, 1-5 letters/digits
    CPT       4 digits + digit/F/T/U (categories I, II, III, PLA) HCPCS     letter A-V + 4 digits
    ICD9PCS   2-4 digits                                        ICD10PCS  7 characters, no I or O
    SNOMED    6-18 digits (a concept id)
#}
with

codes as (

    select 'diagnoses' as table_name, patient_id, dx_date as event_date, code, code_system
    from {{ ref('stg_ehr__diagnoses') }}
    union all
    select 'procedures' as table_name, patient_id, px_date as event_date, code, code_system
    from {{ ref('stg_ehr__procedures') }}

),

checked as (

    select
        *,
        case code_system
            when 'ICD9CM' then {{ regexp_matches('code', '^([0-9]{3,5}|V[0-9]{2,4}|E[0-9]{3,4})$') }}
            when 'ICD10CM' then {{ regexp_matches('code', '^[A-Z][0-9][0-9A-Z]{1,5}$') }}
            when 'CPT' then {{ regexp_matches('code', '^[0-9]{4}[0-9FTU]$') }}
            when 'HCPCS' then {{ regexp_matches('code', '^[A-V][0-9]{4}$') }}
            when 'ICD9PCS' then {{ regexp_matches('code', '^[0-9]{2,4}$') }}
            when 'ICD10PCS' then {{ regexp_matches('code', '^[0-9A-HJ-NP-Z]{7}$') }}
            when 'SNOMED' then {{ regexp_matches('code', '^[0-9]{6,18}$') }}
            else false
        end as has_valid_shape
    from codes

)

select table_name, patient_id, event_date, code_system
from checked
where not coalesce(has_valid_shape, false)
