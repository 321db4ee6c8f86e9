{#
  Patients remaining after each selection step of the surgery cohorts, per cohort (early / late) and site
  ('all' = every site), followed by the positive and negative counts of the final cohort.
  Counts are exact; reports that print them mask 1..10 as "<11".
#}
{%- set not_prior = 'not has_prior_decompression' if var('surgery_exclude_prior_decompression') else 'true' -%}
{%- set steps = [
    (1, 'indexed: first spine XR/MRI/CT in the index window', 'true'),
    (2, 'LDH/LSS: >= ' ~ var('ldh_lss_min_codes') ~ ' codes in ' ~ var('ldh_lss_lookback_days') ~ ' days before index', 'is_ldh_lss'),
    (3, 'not operated on or before the index day', 'is_ldh_lss and ' ~ not_prior),
    (4, 'outcome known (no death before day 425 unoperated)', 'is_ldh_lss and ' ~ not_prior ~ ' and outcome_known'),
] -%}
{#- steps 1-4 are shared by both cohorts; step 5 removes the other task's positives -#}
{%- set cohorts = ['early', 'late'] -%}
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

    {%- for cohort in cohorts %}
    {%- for number, step, rule in steps %}
    {%- for by_site in [true, false] %}
    select
        '{{ cohort }}' as cohort,
        {{ 'site' if by_site else "'all'" }} as site,
        {{ number }} as step_number,
        '{{ step }}' as step,
        cast(coalesce(sum(case when {{ rule }} then 1 else 0 end), 0) as {{ dbt.type_int() }}) as n_patients
    from candidates
    {{ 'group by site' if by_site }}
    union all
    {%- endfor %}
    {%- endfor %}
    {%- endfor %}
    {%- for by_site in [true, false] %}
    select
        cohort,
        {{ 'site' if by_site else "'all'" }} as site,
        5 as step_number,
        {#- engines escape a quote inside a string literal differently ('' vs \') -#}
        {{ dbt.string_literal(dbt.escape_single_quotes("final cohort (other task's positives removed)")) }} as step,
        cast(count(*) as {{ dbt.type_int() }}) as n_patients
    from cohort_rows
    group by cohort{{ ', site' if by_site }}
    union all
    select
        cohort,
        {{ 'site' if by_site else "'all'" }} as site,
        6 as step_number,
        'positive (label 1)' as step,
        cast(coalesce(sum(label), 0) as {{ dbt.type_int() }}) as n_patients
    from cohort_rows
    group by cohort{{ ', site' if by_site }}
    union all
    select
        cohort,
        {{ 'site' if by_site else "'all'" }} as site,
        7 as step_number,
        'negative (label 0)' as step,
        cast(coalesce(sum(1 - label), 0) as {{ dbt.type_int() }}) as n_patients
    from cohort_rows
    group by cohort{{ ', site' if by_site }}
    {{ 'union all' if by_site }}
    {%- endfor %}

)

select * from step_counts
