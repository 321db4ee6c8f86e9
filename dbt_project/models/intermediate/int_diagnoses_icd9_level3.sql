{#
  ICD-9-CM codes rolled up to depth level three of the hierarchy ("the first three digits of ICD codes",
  000_dc58a6666935e68a.txt): the first three characters (722.10 -> 722, V54.17 -> V54); E-codes keep four
  (E849.0 -> E849) because their category is four characters long.
  One row per (patient, day, source code, level-3 code): an ICD-10 code whose GEM targets fall in several
  level-3 categories yields one row for each category; targets in the same category collapse to one.
#}
with

mapped as (

    select * from {{ ref('int_diagnoses_mapped_to_icd9') }}

),

rolled_up as (

    select distinct
        patient_id,
        dx_date,
        source_code,
        source_code_system,
        case
            when icd9cm_code like 'E%' then substr(icd9cm_code, 1, 4)
            else substr(icd9cm_code, 1, 3)
        end as icd9_level3
    from mapped

)

select * from rolled_up
