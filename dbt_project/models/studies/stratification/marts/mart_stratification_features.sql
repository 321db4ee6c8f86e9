{#
  One row per stratification participant: the clustering inputs (Pfirrmann grade and facet tropism per
  level from the study MRI, smoking, sex, BMI, Örebro and STarT Back scores and items), the
  characterising outcomes (LBP frequency and bothersomeness on the visit day) and complete_case.
  Smoking and BMI: the observation closest to the visit within ±stratification_covariate_window_days
  (ties: the earlier one, then the larger BMI / the alphabetically first smoking value).
#}
{%- set levels = var('stratification_levels') -%}
with

cohort as (

    select * from {{ ref('cohort_stratification') }}

),

measurements as (

    select * from {{ ref('stg_ehr__imaging_measurements') }}

),

imaging_wide as (

    select
        image_id,
        {%- for level in levels %}
        {%- set col = level | lower | replace('-', '_') %}
        max(case when level = '{{ level }}' and measure = 'pfirrmann_grade' then value end) as dd_{{ col }},
        max(case when level = '{{ level }}' and measure = 'facet_tropism_deg' then value end) as ft_{{ col }}{{ ',' if not loop.last }}
        {%- endfor %}
    from measurements
    group by image_id

),

observations as (

    select o.*
    from {{ ref('stg_ehr__observations') }} as o
    inner join cohort as c
        on o.patient_id = c.patient_id

),

covariates_near_visit as (

    select
        o.patient_id,
        o.name,
        o.value_num,
        o.value_text,
        row_number() over (
            partition by o.patient_id, o.name
            order by abs({{ days_between('c.visit_date', 'o.obs_date') }}), o.obs_date, o.value_num desc, o.value_text
        ) as rank_in_patient
    from observations as o
    inner join cohort as c
        on o.patient_id = c.patient_id
    -- a row without an answer (OMOP exports often carry only the question) must not hide an answered one
    where ((o.name = 'smoking' and o.value_text is not null) or (o.name = 'bmi' and o.value_num is not null))
        and abs({{ days_between('c.visit_date', 'o.obs_date') }}) <= {{ var('stratification_covariate_window_days') }}

),

covariates as (

    select
        patient_id,
        max(case when name = 'smoking' then lower(value_text) end) as smoking,
        max(case when name = 'bmi' then value_num end) as bmi
    from covariates_near_visit
    where rank_in_patient = 1
    group by patient_id

),

pain_on_visit as (

    select
        o.patient_id,
        max(case when o.name = 'lbp_frequency' and o.value_num between 0 and 4 then o.value_num end)
            as lbp_frequency,
        max(case when o.name = 'lbp_bothersomeness' and o.value_num between 0 and 10 then o.value_num end)
            as lbp_bothersomeness
    from observations as o
    inner join cohort as c
        on o.patient_id = c.patient_id
        and o.obs_date = c.visit_date
    where o.name in ('lbp_frequency', 'lbp_bothersomeness')
    group by o.patient_id

),

joined as (

    select
        c.patient_id,
        c.site,
        c.sex,
        c.visit_date,
        c.age_at_visit,
        c.image_id,
        {%- for level in levels %}
        {%- set col = level | lower | replace('-', '_') %}
        iw.dd_{{ col }},
        {%- endfor %}
        {%- for level in levels %}
        {%- set col = level | lower | replace('-', '_') %}
        iw.ft_{{ col }},
        {%- endfor %}
        cv.smoking,
        case when cv.smoking is not null then cast(cv.smoking = 'current' as {{ dbt.type_int() }}) end
            as smoking_current,
        cv.bmi,
        {%- for i in range(1, 11) %}
        q.orebro_q{{ i }},
        {%- endfor %}
        q.orebro_items_answered,
        q.orebro_total,
        q.orebro_high_risk,
        {%- for i in range(1, 10) %}
        q.sbt_q{{ i }},
        {%- endfor %}
        q.sbt_total,
        q.sbt_psychosocial,
        q.sbt_risk_group,
        cast(p.lbp_frequency as {{ dbt.type_int() }}) as lbp_frequency,
        cast(p.lbp_bothersomeness as {{ dbt.type_int() }}) as lbp_bothersomeness,
        case
            when p.lbp_frequency is null or p.lbp_bothersomeness is null then null
            else p.lbp_frequency >= {{ var('stratification_outcome_min_frequency') }}
                and p.lbp_bothersomeness >= {{ var('stratification_outcome_min_bothersomeness') }}
        end as persistent_bothersome_lbp
    from cohort as c
    left join imaging_wide as iw
        on c.image_id = iw.image_id
    left join covariates as cv
        on c.patient_id = cv.patient_id
    left join {{ ref('int_stratification_questionnaire_scores') }} as q
        on c.patient_id = q.patient_id
    left join pain_on_visit as p
        on c.patient_id = p.patient_id

),

final as (

    select
        *,
        (
            image_id is not null
            {%- for level in levels %}
            {%- set col = level | lower | replace('-', '_') %}
            and dd_{{ col }} is not null and ft_{{ col }} is not null
            {%- endfor %}
            and smoking is not null and bmi is not null and sex in ('F', 'M')
            and orebro_total is not null and sbt_total is not null
            and persistent_bothersome_lbp is not null
        ) as complete_case
    from joined

)

-- sorted by the key: parallel hash joins give rows in any order, and marts must be byte-identical
select * from final
order by patient_id
