{#
  Every ICD diagnosis record expressed in ICD-9-CM ("we mapped ICD-10 to equivalent ICD-9 codes",
  000_dc58a6666935e68a.txt). ICD-9-CM records pass through; ICD-10-CM records join the code-level GEM map and
  produce one row per ICD-9-CM target (a code that maps to several ICD-9 codes gives several rows).
  SNOMED records and unmapped ICD-10-CM codes (dq_unmapped_icd10) are not diagnosis features.
#}
with

diagnoses as (

    select * from {{ ref('stg_ehr__diagnoses') }}

),

code_map as (

    select * from {{ ref('int_icd10cm_codes_mapped_to_icd9cm') }}

),

native_icd9 as (

    select
        patient_id,
        dx_date,
        code as source_code,
        code_system as source_code_system,
        code as icd9cm_code,
        'native_icd9' as mapping_method,
        false as is_approximate
    from diagnoses
    where code_system = 'ICD9CM'

),

icd10_mapped as (

    select
        d.patient_id,
        d.dx_date,
        d.code as source_code,
        d.code_system as source_code_system,
        m.icd9cm_code,
        m.mapping_method,
        m.is_approximate
    from diagnoses as d
    inner join code_map as m
        on d.code = m.icd10cm_code
    where d.code_system = 'ICD10CM'

),

unioned as (

    select * from native_icd9
    union all
    select * from icd10_mapped

)

select * from unioned
