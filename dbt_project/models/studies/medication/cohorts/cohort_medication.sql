{#
  Medication cohort (004_8aea355467337d34.txt, Fig. 1(a)-(b)): adults (>= medication_minimum_age) whose first
  lumbar spine MRI falls in medication_index_start..medication_index_end, with a low-back-pain code in the
  medication_lbp_lookback_days before it (index day included), and none of the exclusions (fracture, cancer,
  spinal infection, trauma, stroke, prior spinal surgery, prior paraspinal injection) before the index day.
  outcome = the most potent class ordered on days 0..medication_outcome_days (none < nsaid < opioid).
  split: deterministic, stratified by outcome (macro split_column with the medication split vars).
#}
with

candidates as (

    select * from {{ ref('cohort_medication_candidates') }}

),

eligible as (

    select *
    from candidates
    where in_index_range
      and age_at_index >= {{ var('medication_minimum_age') }}
      and has_lbp_code
      and not (has_prior_fracture or has_prior_cancer or has_prior_infection or has_prior_trauma or has_prior_stroke)
      and not (has_prior_spinal_surgery or has_prior_paraspinal_injection)

),

labelled as (

    select
        patient_id,
        site,
        index_date,
        index_image_id,
        has_report,
        age_at_index,
        case outcome_class_rank when 2 then 'opioid' when 1 then 'nsaid' else 'none' end as outcome,
        outcome_class_rank,
        outcome_rx_date
    from eligible

),

split as (

    select
        *,
        {{ split_column('outcome', seed_var='medication_split_seed', fraction_var='medication_split_test_fraction') }}
            as split
    from labelled

)

select * from split
