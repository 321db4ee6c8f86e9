{#
  Every indexed patient with the facts each selection step of the surgery cohorts needs
  (000_dc58a6666935e68a.txt, "Patient selection" and "Outcome"). Day 0 is the index day.
  surgery_timing from the first decompression after index:
    early         day 1 .. surgery_early_window_days (60)                      "within 2 months"
    late          day 61 .. 60 + surgery_late_window_days (425)                "within 12 months after a 2 month gap"
    after_window  later than day 425 (a negative: no decompression within 14 months)
    none          no decompression after index
  outcome_known is false for a patient with no decompression by day 425 who died before day 425: their outcome
  is unknown (excluded unless surgery_include_incomplete_followup). The contract has no disenrolment date, so
  death is the only loss to follow-up the warehouse can see.
#}
{%- set early_end = var('surgery_early_window_days') | int -%}
{%- set late_start = (var('surgery_late_gap_days') | int) + 1 -%}
{%- set late_end = (var('surgery_late_gap_days') | int) + (var('surgery_late_window_days') | int) -%}
with

index_imaging as (

    select * from {{ ref('int_index_imaging') }}

),

patients as (

    select * from {{ ref('stg_ehr__patients') }}

),

ldh_lss as (

    select * from {{ ref('ph_ldh_lss') }}

),

decompression as (

    select * from {{ ref('ph_decompression') }}

),

joined as (

    select
        i.patient_id,
        p.site,
        i.index_date,
        i.index_image_id,
        i.index_modality,
        l.patient_id is not null as is_ldh_lss,
        coalesce(l.n_ldh_lss_days, 0) as n_ldh_lss_days,
        coalesce(d.has_prior_decompression, false) as has_prior_decompression,
        d.first_decompression_date as surgery_date,
        d.days_to_first_decompression as days_to_surgery,
        p.death_date,
        {{ dbt.dateadd('day', late_end, 'i.index_date') }} as outcome_window_end_date
    from index_imaging as i
    inner join patients as p
        on i.patient_id = p.patient_id
    left join ldh_lss as l
        on i.patient_id = l.patient_id
    left join decompression as d
        on i.patient_id = d.patient_id

),

classified as (

    select
        *,
        case
            when days_to_surgery is null then 'none'
            when days_to_surgery <= {{ early_end }} then 'early'
            when days_to_surgery between {{ late_start }} and {{ late_end }} then 'late'
            else 'after_window'
        end as surgery_timing,
        case
            when days_to_surgery <= {{ late_end }} then true
            when death_date is not null and death_date < outcome_window_end_date
                then {{ 'true' if var('surgery_include_incomplete_followup') else 'false' }}
            else true
        end as outcome_known
    from joined

)

select * from classified
