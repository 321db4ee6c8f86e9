{#
  Patients remaining after each selection step of the surgery cohorts, per cohort (early / late) and site
  ('all' = every site), followed by the positive and negative counts of the final cohort.
  Counts are exact; `lumbar build` prints them masked so that no count from 1 to 10 can be read or worked out
  by subtraction between steps or sites (ingest/cell_suppression.py).
#}
{%- set not_prior = 'not has_prior_decompression' if var('surgery_exclude_prior_decompression') else 'true' -%}
{%- set steps = [
    (1, 'indexed: first spine XR/MRI/CT in the index window', 'true'),
    (2, 'LDH/LSS: >= ' ~ var('ldh_lss_min_codes') ~ ' codes in ' ~ var('ldh_lss_lookback_days') ~ ' days before index', 'is_ldh_lss'),
    (3, 'not operated on or before the index day', 'is_ldh_lss and ' ~ not_prior),
    (4, 'outcome known (no death before day 425 unoperated)', 'is_ldh_lss and ' ~ not_prior ~ ' and outcome_known'),
] -%}
{#- steps 1-4 are shared by both cohorts; step 5 removes the other task's positives -#}
{%- set candidate_steps, final_steps = [], [] -%}
{%- for cohort in ['early', 'late'] -%}
    {%- for number, step, rule in steps -%}
        {%- do candidate_steps.append({'cohort': "'" ~ cohort ~ "'", 'number': number, 'step': step, 'rule': rule}) -%}
    {%- endfor -%}
    {%- set in_cohort = "cohort = '" ~ cohort ~ "'" -%}
    {%- do final_steps.append({'cohort': "'" ~ cohort ~ "'", 'number': 5,
                               'step': "final cohort (other task's positives removed)", 'rule': in_cohort}) -%}
    {%- do final_steps.append({'cohort': "'" ~ cohort ~ "'", 'number': 6, 'step': 'positive (label 1)',
                               'rule': in_cohort ~ ' and label = 1'}) -%}
    {%- do final_steps.append({'cohort': "'" ~ cohort ~ "'", 'number': 7, 'step': 'negative (label 0)',
                               'rule': in_cohort ~ ' and label = 0'}) -%}
{%- endfor %}
with

candidates as (

    select * from {{ ref('cohort_surgery_candidates') }}

),

cohort_rows as (

    select 'early' as cohort, site, label from {{ ref('cohort_surgery_early') }}
    union all
    select 'late' as cohort, site, label from {{ ref('cohort_surgery_late') }}

),

step_counts as (

    {{ attrition_counts('candidates', candidate_steps, ['cohort']) }}
    union all
    {{ attrition_counts('cohort_rows', final_steps, ['cohort']) }}

)

select * from step_counts
