{#
  ICD-10-CM codes in the data that have no ICD-9-CM equivalent even after the nearest-parent fallback
  (int_icd10cm_codes_mapped_to_icd9cm): codes unknown to the GEM (typos, codes newer than the GEM with no
  mapped parent) or flagged no_map by CMS. Their records are not diagnosis features; this model makes the
  loss visible instead of silent.
#}
with

icd10_diagnoses as (

    select * from {{ ref('stg_ehr__diagnoses') }}
    where code_system = 'ICD10CM'

),

mapped_codes as (

    select distinct icd10cm_code from {{ ref('int_icd10cm_codes_mapped_to_icd9cm') }}

),

unmapped as (

    select
        d.code as icd10cm_code,
        max(d.code_display) as code_display,
        count(*) as n_records,
        count(distinct d.patient_id) as n_patients,
        min(d.dx_date) as first_dx_date,
        max(d.dx_date) as last_dx_date
    from icd10_diagnoses as d
    left join mapped_codes as m
        on d.code = m.icd10cm_code
    where m.icd10cm_code is null
    group by d.code

)

select * from unmapped
