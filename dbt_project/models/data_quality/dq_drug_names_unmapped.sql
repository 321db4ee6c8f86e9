{#
  Drug names that normalisation (stg_ehr__prescriptions, int_prescriptions_normalised) could not reduce to a
  clean ingredient name, one row per name with record and patient counts, like dq_unmapped_icd10 for codes.
  Such a name becomes a drug feature of its own ("diclofenac %", "fluticasone/actuat nasal spray") instead
  of joining its ingredient, and never reaches the NSAID / opioid classes. A name is unmapped when it is
  empty or still holds digits or punctuation other than "/" (combinations) and "-".
  n_dose_text_only counts orders whose text was nothing but dose, unit and form words (staging found no
  ingredient and kept the cleaned text).
  Clean names outside the study vocabulary (lisinopril) are not listed: lumbar's drug seeds cover the study
  drug classes only, so "not in a seed" is not a data problem.
#}
with

prescriptions as (

    select * from {{ ref('int_prescriptions_normalised') }}

),

unmapped_rows as (

    select
        coalesce(trim(drug_generic_name), '') as drug_generic_name,
        patient_id,
        drug_ingredient_name = drug_name_clean and {{ regexp_matches('drug_name_clean', '[0-9]') }}
            as is_dose_text_only
    from prescriptions
    where drug_generic_name is null
       or trim(drug_generic_name) = ''
       or {{ regexp_matches('drug_generic_name', '[^a-z /-]') }}

),

unmapped as (

    select
        drug_generic_name,
        case when drug_generic_name = '' then 'empty' else 'leftover_text' end as reason,
        count(*) as n_records,
        count(distinct patient_id) as n_patients,
        sum(case when is_dose_text_only then 1 else 0 end) as n_dose_text_only
    from unmapped_rows
    group by drug_generic_name

)

select * from unmapped
