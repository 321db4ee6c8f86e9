{#
  Every patient with a lumbar spine MRI, with what each selection step of the medication cohort needs
  (004_8aea355467337d34.txt, Fig. 1(a) and Methods "Exclusion criteria"). Index = first lumbar MRI on record
  (int_medication_index_mri). Day 0 is the index day.
    in_index_range           index date in medication_index_start..medication_index_end (2012-2024)
    age_at_index             completed years; adults are >= medication_minimum_age (18)
    has_lbp_code             a low-back-pain code (med_lbp_dx_codes) on days -medication_lbp_lookback_days..0
    has_prior_<group>        an exclusion code of that group (med_exclusion_codes) strictly before index
    outcome_class_rank       most potent class ordered on days 0..medication_outcome_days (0 none, 1 NSAID,
                             2 opioid; none when nothing qualifying was ordered)
#}
{%- set exclusion_groups = ['fracture', 'cancer', 'infection', 'trauma', 'stroke', 'prior_spinal_surgery', 'paraspinal_injection'] -%}
with

index_mri as (

    select * from {{ ref('int_medication_index_mri') }}

),

patients as (

    select * from {{ ref('stg_ehr__patients') }}

),

coded as (

    select * from {{ ref('int_medication_coded_events') }}
    where code_list in ('low_back_pain', 'exclusion')

),

prescriptions as (

    select * from {{ ref('int_medication_prescriptions_classified') }}

),

lbp_near_index as (

    select distinct c.patient_id
    from coded as c
    inner join index_mri as i
        on c.patient_id = i.patient_id
    where c.code_list = 'low_back_pain'
      and c.event_date <= i.index_date
      and c.event_date >= {{ dbt.dateadd('day', -(var('medication_lbp_lookback_days') | int), 'i.index_date') }}

),

exclusions_before_index as (

    select
        c.patient_id,
        {%- for g in exclusion_groups %}
        max(case when c.code_group = '{{ g }}' then 1 else 0 end) as has_prior_{{ g | replace('prior_', '') }}
        {{- ',' if not loop.last }}
        {%- endfor %}
    from coded as c
    inner join index_mri as i
        on c.patient_id = i.patient_id
    where c.code_list = 'exclusion'
      and c.event_date < i.index_date
    group by c.patient_id

),

outcome_orders as (

    select
        p.patient_id,
        max(p.class_rank) as outcome_class_rank
    from prescriptions as p
    inner join index_mri as i
        on p.patient_id = i.patient_id
    where p.rx_date >= i.index_date
      and p.rx_date <= {{ dbt.dateadd('day', var('medication_outcome_days'), 'i.index_date') }}
    group by p.patient_id

),

first_outcome_order as (

    -- first order of the outcome class (its date shows the outcome was not ordered before index)
    select
        p.patient_id,
        min(p.rx_date) as outcome_rx_date
    from prescriptions as p
    inner join index_mri as i
        on p.patient_id = i.patient_id
    inner join outcome_orders as o
        on p.patient_id = o.patient_id
        and p.class_rank = o.outcome_class_rank
    where o.outcome_class_rank > 0
      and p.rx_date >= i.index_date
      and p.rx_date <= {{ dbt.dateadd('day', var('medication_outcome_days'), 'i.index_date') }}
    group by p.patient_id

),

candidates as (

    select
        i.patient_id,
        p.site,
        i.index_date,
        i.index_image_id,
        i.has_report,
        (i.index_date between {{ var_date('medication_index_start') }} and {{ var_date('medication_index_end') }})
            as in_index_range,
        {{ completed_years('p.birth_date', 'i.index_date') }} as age_at_index,
        (l.patient_id is not null) as has_lbp_code,
        {%- for g in exclusion_groups %}
        coalesce(e.has_prior_{{ g | replace('prior_', '') }}, 0) = 1 as has_prior_{{ g | replace('prior_', '') }},
        {%- endfor %}
        cast(coalesce(o.outcome_class_rank, 0) as {{ dbt.type_int() }}) as outcome_class_rank,
        f.outcome_rx_date
    from index_mri as i
    inner join patients as p
        on i.patient_id = p.patient_id
    left join lbp_near_index as l
        on i.patient_id = l.patient_id
    left join exclusions_before_index as e
        on i.patient_id = e.patient_id
    left join outcome_orders as o
        on i.patient_id = o.patient_id
    left join first_outcome_order as f
        on i.patient_id = f.patient_id

)

select * from candidates
