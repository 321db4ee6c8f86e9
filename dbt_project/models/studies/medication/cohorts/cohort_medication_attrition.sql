{#
  Patients remaining after each selection step of the medication cohort, per site ('all' = every site)
  (004_8aea355467337d34.txt, Fig. 1(a)), then the outcome class counts of the final cohort. kind = 'step' rows
  are sequential; kind = 'exclusion' rows count each exclusion group among patients who passed steps 1-4 (the
  groups overlap, so they do not sum to the step-5/6 drop, as in the paper's figure). Exact counts, for analysts
  in the secure environment: steps, sites and classes are related, so mask them together before publishing.
#}
{%- set red_flags = 'has_prior_fracture or has_prior_cancer or has_prior_infection or has_prior_trauma or has_prior_stroke' -%}
{%- set base = "in_index_range and age_at_index >= " ~ var('medication_minimum_age') ~ " and has_lbp_code" -%}
{#- step 1 names the index images the vars choose: 'first lumbar spine MRI on record' by default -#}
{%- set index_images = var('medication_index_body_regions') | join(' / ') ~ ' spine ' ~ var('medication_index_modalities') | join(' / ') -%}
{%- set steps = [
    ('step', 1, 'first ' ~ index_images ~ ' on record', 'true'),
    ('step', 2, 'index ' ~ var('medication_index_modalities') | join(' / ') ~ ' between ' ~ var('medication_index_start') ~ ' and ' ~ var('medication_index_end'), 'in_index_range'),
    ('step', 3, 'age >= ' ~ var('medication_minimum_age') ~ ' at index', 'in_index_range and age_at_index >= ' ~ var('medication_minimum_age')),
    ('step', 4, 'low-back-pain code in the ' ~ var('medication_lbp_lookback_days') ~ ' days up to index', base),
    ('step', 5, 'no fracture, cancer, infection, trauma or stroke before index', base ~ ' and not (' ~ red_flags ~ ')'),
    ('step', 6, 'no prior spinal surgery or paraspinal injection (final cohort)', base ~ ' and not (' ~ red_flags ~ ') and not (has_prior_spinal_surgery or has_prior_paraspinal_injection)'),
    ('exclusion', 11, 'prior fracture', base ~ ' and has_prior_fracture'),
    ('exclusion', 12, 'prior cancer', base ~ ' and has_prior_cancer'),
    ('exclusion', 13, 'prior spinal infection', base ~ ' and has_prior_infection'),
    ('exclusion', 14, 'prior trauma', base ~ ' and has_prior_trauma'),
    ('exclusion', 15, 'prior stroke', base ~ ' and has_prior_stroke'),
    ('exclusion', 16, 'prior spinal surgery', base ~ ' and has_prior_spinal_surgery'),
    ('exclusion', 17, 'prior paraspinal injection', base ~ ' and has_prior_paraspinal_injection'),
] -%}
{%- set candidate_steps, outcome_steps = [], [] -%}
{%- for kind, number, step, rule in steps -%}
    {%- do candidate_steps.append({'kind': "'" ~ kind ~ "'", 'number': number, 'step': step, 'rule': rule}) -%}
{%- endfor -%}
{%- for outcome in ['none', 'nsaid', 'opioid'] -%}
    {%- do outcome_steps.append({'kind': "'outcome'", 'number': 21 + loop.index0, 'step': 'outcome ' ~ outcome,
                                 'rule': "outcome = '" ~ outcome ~ "'"}) -%}
{%- endfor %}
with

candidates as (

    select * from {{ ref('cohort_medication_candidates') }}

),

cohort as (

    select * from {{ ref('cohort_medication') }}

),

counts as (

    {{ attrition_counts('candidates', candidate_steps, ['kind']) }}
    union all
    {{ attrition_counts('cohort', outcome_steps, ['kind']) }}

)

select * from counts
