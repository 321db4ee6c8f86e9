{#
  Procedure features are "CPT and HCPCS Level II codes" (000_dc58a6666935e68a.txt); ICD procedure codes and
  SNOMED are left out of the feature set (they still count for the decompression phenotype).
  One row per (patient, day, code): repeated units of a code on one day are one event.
#}
with

procedures as (

    select * from {{ ref('stg_ehr__procedures') }}

),

cpt_hcpcs as (

    select distinct
        patient_id,
        px_date,
        code,
        code_system
    from procedures
    where code_system in ('CPT', 'HCPCS')
      and code <> ''

)

select * from cpt_hcpcs
