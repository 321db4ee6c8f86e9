{#
  Örebro short form and STarT Back scores per participant, from the items recorded on the visit day.

  Örebro Musculoskeletal Pain Screening Questionnaire, short form (Linton, Nicholas & MacDonald 2011):
  10 items scored 0-10 (item 1, pain duration, 1-10); items 3 (light work), 4 (sleep) and 8 (chance of
  working in 6 months) are reversed (score = 10 - response). Total = sum, 0-100; high risk >= 50
  (orebro_high_risk_cutoff). The instrument publishes no missing-item rule: with at most
  orebro_max_missing_items blank items the total is prorated (mean of the answered item scores x 10),
  otherwise it is null. Out-of-range responses count as blank.

  STarT Back Tool (Hill et al. 2008): items 1-8 agree = 1 / disagree = 0; item 9 (bothersomeness, recorded
  0 'not at all' .. 4 'extremely') scores 1 for 'very much' or 'extremely' (>= 3). Total = items 1-9 (0-9),
  psychosocial subscale = items 5-9 (0-5). Risk group: total <= 3 low; else subscale <= 3 medium; else high.
  No imputation: any blank or out-of-range item leaves total, subscale and risk group null.

  A repeated item on the visit day keeps its last recorded value within the day (highest value on ties).
#}
{%- set reversed = [3, 4, 8] -%}
with

items as (

    select
        o.patient_id,
        o.name,
        o.value_num
    from {{ ref('stg_ehr__observations') }} as o
    inner join {{ ref('cohort_stratification') }} as c
        on o.patient_id = c.patient_id
        and o.obs_date = c.visit_date
    where {{ starts_with('o.name', 'orebro_q') }} or {{ starts_with('o.name', 'sbt_q') }}

),

wide as (

    select
        patient_id,
        {%- for i in range(1, 11) %}
        max(case when name = 'orebro_q{{ i }}' then value_num end) as orebro_q{{ i }}_response,
        {%- endfor %}
        {%- for i in range(1, 10) %}
        max(case when name = 'sbt_q{{ i }}' then value_num end) as sbt_q{{ i }}_response{{ ',' if not loop.last }}
        {%- endfor %}
    from items
    group by patient_id

),

item_scores as (

    select
        patient_id,
        -- Örebro: out-of-range responses are blanks; reversed items score 10 - response
        case when orebro_q1_response between 1 and 10 then orebro_q1_response end as orebro_q1,
        {%- for i in range(2, 11) %}
        case
            when orebro_q{{ i }}_response between 0 and 10
                then {{ '10 - ' if i in reversed else '' }}orebro_q{{ i }}_response
        end as orebro_q{{ i }},
        {%- endfor %}
        -- STarT Back: items 1-8 are 0/1; item 9 scores 1 for 'very much' (3) or 'extremely' (4)
        {%- for i in range(1, 9) %}
        case when sbt_q{{ i }}_response in (0, 1) then sbt_q{{ i }}_response end as sbt_q{{ i }},
        {%- endfor %}
        case
            when sbt_q9_response in (3, 4) then 1
            when sbt_q9_response in (0, 1, 2) then 0
        end as sbt_q9
    from wide

),

totals as (

    select
        *,
        (
            {%- for i in range(1, 11) %}
            case when orebro_q{{ i }} is not null then 1 else 0 end{{ ' +' if not loop.last }}
            {%- endfor %}
        ) as orebro_items_answered,
        (
            {%- for i in range(1, 11) %}
            coalesce(orebro_q{{ i }}, 0){{ ' +' if not loop.last }}
            {%- endfor %}
        ) as orebro_sum_answered,
        {% for i in range(1, 10) %}sbt_q{{ i }}{{ ' + ' if not loop.last }}{% endfor %} as sbt_total,
        {% for i in range(5, 10) %}sbt_q{{ i }}{{ ' + ' if not loop.last }}{% endfor %} as sbt_psychosocial
    from item_scores

),

scored as (

    select
        *,
        case
            when orebro_items_answered >= 10 - {{ var('orebro_max_missing_items') }}
                then orebro_sum_answered * 10.0 / orebro_items_answered
        end as orebro_total
    from totals

),

final as (

    select
        patient_id,
        {%- for i in range(1, 11) %}
        orebro_q{{ i }},
        {%- endfor %}
        orebro_items_answered,
        orebro_total,
        case when orebro_total is not null then orebro_total >= {{ var('orebro_high_risk_cutoff') }} end
            as orebro_high_risk,
        {%- for i in range(1, 10) %}
        sbt_q{{ i }},
        {%- endfor %}
        sbt_total,
        sbt_psychosocial,
        case
            when sbt_total is null then null
            when sbt_total <= 3 then 'low'
            when sbt_psychosocial <= 3 then 'medium'
            else 'high'
        end as sbt_risk_group
    from scored

)

select * from final
