{#
  LDH/LSS phenotype: patients with at least ldh_lss_min_codes (2) lumbar disc herniation or lumbar spinal
  stenosis diagnosis codes, ICD-9-CM or ICD-10-CM (seed ref_ldh_lss_dx_codes), in the ldh_lss_lookback_days
  (365) days before the index date (000_dc58a6666935e68a.txt, "Patient selection" and "Outcome").
  A code exactly 365 days before index counts; a code on the index day counts only when
  ldh_lss_include_index_day is true ("prior to LIRE enrollment"). Occurrences are distinct days when
  ldh_lss_count_distinct_days is true (two codes at one visit are one occurrence), records otherwise.
#}
with

index_dates as (

    select patient_id, index_date from {{ ref('int_index_imaging') }}

),

ldh_lss_codes as (

    select * from {{ ref('ref_ldh_lss_dx_codes') }}

),

ldh_lss_diagnoses as (

    select
        d.patient_id,
        d.dx_date,
        c.{{ adapter.quote('group') }} as code_group
    from {{ ref('stg_ehr__diagnoses') }} as d
    inner join ldh_lss_codes as c
        on d.code = c.code
        and d.code_system = c.code_system

),

ldh_lss_codes_in_lookback as (

    select
        i.patient_id,
        i.index_date,
        d.dx_date,
        d.code_group
    from ldh_lss_diagnoses as d
    inner join index_dates as i
        on d.patient_id = i.patient_id
    where d.dx_date >= {{ dbt.dateadd('day', -(var('ldh_lss_lookback_days') | int), 'i.index_date') }}
      and d.dx_date {{ '<=' if var('ldh_lss_include_index_day') else '<' }} i.index_date

),

per_patient as (

    select
        patient_id,
        index_date,
        count(*) as n_ldh_lss_records,
        count(distinct dx_date) as n_ldh_lss_days,
        min(dx_date) as first_ldh_lss_date,
        max(dx_date) as last_ldh_lss_date,
        max(case when code_group = 'herniated_disc' then 1 else 0 end) = 1 as has_herniated_disc,
        max(case when code_group = 'spinal_stenosis' then 1 else 0 end) = 1 as has_spinal_stenosis
    from ldh_lss_codes_in_lookback
    group by patient_id, index_date

),

qualifying as (

    select *
    from per_patient
    where {{ 'n_ldh_lss_days' if var('ldh_lss_count_distinct_days') else 'n_ldh_lss_records' }}
        >= {{ var('ldh_lss_min_codes') | int }}

)

select * from qualifying
