{#
  One row per medication-cohort patient: outcome, split and the patient profile known by index +
  medication_feature_days_after_index (004_8aea355467337d34.txt, Table 1 and Fig. 1(c)).
  Demographics at the first lumbar MRI (age, year, sex, race/ethnicity as seed med_race_ethnicity_patterns
  reads it, preferred language); psychosocial (smoking status, social support = partnered / single /
  separated, social-support screening level, primary insurance), the latest value charted by the cutoff and
  null when never charted (the trainer imputes); negative_psych_state, the paper's psychosocial "history of
  anxiety or depression": 1 when an anxiety or depression code (med_chart_dx_groups group anxiety_depression)
  is charted by the cutoff or the latest negative-psychological-state observation is positive, 0 when only a
  negative observation is charted, null when neither is; chart diagnosis groups (0/1) including LBP duration
  and laterality -- the paper's chart diagnoses list no anxiety or depression, so those codes feed
  negative_psych_state only; MRI findings of the index report (0 absent .. 3 severe; null when the index MRI
  has no report).
#}
{%- set dx_groups = ['disc_pathology', 'spinal_stenosis', 'radiculopathy', 'sciatica', 'numbness_tingling',
                     'facet_joint_arthropathy', 'sacroiliac_joint', 'osteoarthritis', 'osteopenia_osteoporosis',
                     'fibromyalgia', 'obesity'] -%}
{#- coded groups that are psychosocial, not chart diagnoses: flagged, never output as columns -#}
{%- set psych_groups = ['anxiety_depression'] -%}
{%- set observation_features = ['smoking_status', 'social_support', 'social_support_level', 'primary_insurance'] -%}
{%- set mri = ['disc_pathology', 'spinal_canal_stenosis', 'lateral_recess_stenosis', 'foraminal_stenosis',
               'facet_joint', 'endplate_change', 'curvature'] -%}
with

cohort as (

    select * from {{ ref('cohort_medication') }}

),

patients as (

    select * from {{ ref('stg_ehr__patients') }}

),

events as (

    select * from {{ ref('int_medication_profile_events') }}

),

mri_findings as (

    select * from {{ ref('int_medication_mri_findings') }}

),

race_ethnicity_patterns as (

    -- an empty category is null whichever way the CSV was read (dbt unit tests read the seed file as text)
    select attribute, pattern, nullif(trim(category), '') as category, priority
    from {{ ref('med_race_ethnicity_patterns') }}

),

-- each cohort patient's first matching pattern per attribute (seed med_race_ethnicity_patterns: values are
-- free text, so LIKE patterns; the lowest priority decides)
race_ethnicity_matches as (

    select patient_id, attribute, category
    from (
        select
            p.patient_id,
            r.attribute,
            r.category,
            row_number() over (
                partition by p.patient_id, r.attribute
                order by r.priority, coalesce(r.category, ''), r.pattern
            ) as match_rank
        from cohort as c
        inner join patients as p
            on c.patient_id = p.patient_id
        inner join race_ethnicity_patterns as r
            on lower(case r.attribute when 'race' then p.race when 'ethnicity' then p.ethnicity end) like r.pattern
    ) as ranked
    where match_rank = 1

),

race_ethnicity as (

    -- an ethnicity category (Hispanic, of any race) comes before race; a negated ethnicity ('Not Hispanic or
    -- Latino') has none, so race decides
    select
        patient_id,
        coalesce(
            max(case when attribute = 'ethnicity' then category end),
            max(case when attribute = 'race' then category end)
        ) as race_ethnicity
    from race_ethnicity_matches
    group by patient_id

),

flags as (

    select
        patient_id,
        {%- for g in dx_groups + psych_groups + ['lbp_chronic', 'lbp_acute', 'lbp_right', 'lbp_left'] %}
        max(case when feature = '{{ g }}' and feature_value = '1' then 1 else 0 end) as {{ g }}
        {{- ',' if not loop.last }}
        {%- endfor %}
    from events
    where source = 'diagnosis' or feature = 'obesity'
    group by patient_id

),

latest_observation as (

    select
        patient_id,
        feature,
        feature_value,
        row_number() over (
            partition by patient_id, feature order by event_date desc, feature_value desc
        ) as recency
    from events
    where source = 'observation'
      and feature <> 'obesity'

),

observed as (

    select
        patient_id,
        {%- for f in observation_features %}
        max(case when feature = '{{ f }}' then feature_value end) as {{ f }},
        {%- endfor %}
        max(case when feature = 'negative_psych_state' then cast(feature_value as {{ dbt.type_int() }}) end)
            as negative_psych_state
    from latest_observation
    where recency = 1
    group by patient_id

),

profile as (

    select
        c.patient_id,
        c.index_date,
        c.index_image_id,
        c.outcome,
        c.outcome_class_rank,
        c.split,
        c.site,
        c.age_at_index as age_at_first_imaging,
        cast(extract(year from c.index_date) as {{ dbt.type_int() }}) as year_at_first_imaging,
        p.sex,
        r.race_ethnicity,
        lower(p.language) as preferred_language,
        {%- for f in observation_features %}
        o.{{ f }},
        {%- endfor %}
        -- coded history of anxiety or depression OR a positive observation (004: psychosocial determinant)
        case
            when f.anxiety_depression = 1 or o.negative_psych_state = 1 then 1
            else o.negative_psych_state
        end as negative_psych_state,
        {%- for g in dx_groups %}
        cast(coalesce(f.{{ g }}, 0) as {{ dbt.type_int() }}) as {{ g }},
        {%- endfor %}
        case
            when f.lbp_chronic = 1 then 'chronic'
            when f.lbp_acute = 1 then 'acute'
            else 'unspecified'
        end as lbp_duration,
        case
            when f.lbp_right = 1 and f.lbp_left = 1 then 'bilateral'
            when f.lbp_right = 1 or f.lbp_left = 1 then 'unilateral'
            else 'unspecified'
        end as lbp_laterality,
        c.has_report as has_mri_report,
        {%- for m in mri %}
        m.mri_{{ m }}
        {{- ',' if not loop.last }}
        {%- endfor %}
    from cohort as c
    inner join patients as p
        on c.patient_id = p.patient_id
    left join race_ethnicity as r
        on c.patient_id = r.patient_id
    left join flags as f
        on c.patient_id = f.patient_id
    left join observed as o
        on c.patient_id = o.patient_id
    left join mri_findings as m
        on c.index_image_id = m.image_id

)

-- sorted by the key: parallel hash joins give rows in any order, and marts must be byte-identical
select * from profile
order by patient_id
