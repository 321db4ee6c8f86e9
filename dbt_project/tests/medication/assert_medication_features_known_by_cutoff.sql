-- Leakage: each mart flag = 1 and each psychosocial value must come from an event charted no later than
-- index + medication_feature_days_after_index. Fails with (patient_id, feature) pairs that have no such event.
-- negative_psych_state = 1 is backed by an anxiety/depression code or a positive observation.
{% set flags = ['disc_pathology', 'spinal_stenosis', 'radiculopathy', 'sciatica', 'numbness_tingling',
                 'facet_joint_arthropathy', 'sacroiliac_joint', 'osteoarthritis', 'osteopenia_osteoporosis',
                 'fibromyalgia', 'obesity', 'negative_psych_state'] -%}
{%- set values = ['smoking_status', 'social_support', 'social_support_level', 'primary_insurance'] -%}
with

mart as (

    select * from {{ ref('mart_medication_profile') }}

),


backing as (

    -- recomputed from the coded events and observations, not from the profile-events model under test
    select
        c.patient_id,
        case c.code_group when 'anxiety_depression' then 'negative_psych_state' else c.code_group end as feature,
        '1' as feature_value,
        c.event_date
    from {{ ref('int_medication_coded_events') }} as c
    where c.code_list = 'chart_dx'
    union all
    select patient_id, 'negative_psych_state' as feature, '1' as feature_value, obs_date as event_date
    from {{ ref('stg_ehr__observations') }}
    where name = 'negative_psych_state' and value_num >= 1
    union all
    select
        o.patient_id,
        v.feature,
        v.value as feature_value,
        o.obs_date as event_date
    from {{ ref('stg_ehr__observations') }} as o
    inner join {{ ref('med_observation_values') }} as v
        on o.name = v.observation
        and lower(o.value_text) = v.source_value
    union all
    select patient_id, 'obesity' as feature, '1' as feature_value, obs_date as event_date
    from {{ ref('stg_ehr__observations') }}
    where name = 'bmi' and value_num >= 30

),

mart_facts as (

    {%- for f in flags %}
    select patient_id, index_date, '{{ f }}' as feature, '1' as feature_value from mart where {{ f }} = 1
    union all
    {%- endfor %}
    {%- for f in values %}
    select patient_id, index_date, '{{ f }}' as feature, {{ f }} as feature_value from mart where {{ f }} is not null
    {{ 'union all' if not loop.last }}
    {%- endfor %}

)

select m.patient_id, m.feature
from mart_facts as m
left join backing as b
    on m.patient_id = b.patient_id
    and m.feature = b.feature
    and m.feature_value = b.feature_value
    and b.event_date <= {{ dbt.dateadd('day', var('medication_feature_days_after_index'), 'm.index_date') }}
group by m.patient_id, m.feature
having count(b.patient_id) = 0
