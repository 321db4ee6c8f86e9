{#
  Decompression surgery phenotype relative to the index date: any procedure code in the decompression code
  list (seed ref_decompression_px_codes: CPT, ICD-9-CM procedure and ICD-10-PCS codes;
  000_dc58a6666935e68a.txt, "Outcome"). One row per indexed patient with at least one decompression code:
  the first decompression after the index day (day >= 1; the outcome) and the latest one on or before the
  index day (day <= 0; an already-operated patient, excluded from the cohorts).
#}
with

index_dates as (

    select patient_id, index_date from {{ ref('int_index_imaging') }}

),

decompression_codes as (

    select * from {{ ref('ref_decompression_px_codes') }}

),

decompressions as (

    select distinct
        p.patient_id,
        p.px_date
    from {{ ref('stg_ehr__procedures') }} as p
    inner join decompression_codes as c
        on p.code = c.code
        and p.code_system = c.code_system

),

relative_to_index as (

    select
        i.patient_id,
        i.index_date,
        d.px_date,
        {{ days_between('i.index_date', 'd.px_date') }} as days_from_index
    from decompressions as d
    inner join index_dates as i
        on d.patient_id = i.patient_id

),

per_patient as (

    select
        patient_id,
        index_date,
        min(case when days_from_index >= 1 then px_date end) as first_decompression_date,
        min(case when days_from_index >= 1 then days_from_index end) as days_to_first_decompression,
        max(case when days_from_index <= 0 then px_date end) as prior_decompression_date,
        max(case when days_from_index <= 0 then 1 else 0 end) = 1 as has_prior_decompression
    from relative_to_index
    group by patient_id, index_date

)

select * from per_patient
