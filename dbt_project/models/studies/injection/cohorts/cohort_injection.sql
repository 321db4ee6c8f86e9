{#
  TFESI for lumbosacral radicular pain due to disc herniation or stenosis (seeds/002_a07b86033410fed6.txt):
  the patient's first TFESI (injection_tfesi_cpt_codes) that has a baseline NRS, with an LDH/LSS code
  (ref_ldh_lss_dx_codes) in the injection_indication_lookback_days up to and including the injection day, the
  earliest of them at least injection_min_symptom_days before it ("chronic"; 0 by default, as 002 gives no
  duration). Baseline NRS (injection_nrs_name) = the latest on the injection day or up to
  injection_baseline_max_days_before days before; follow-up NRS = the one closest to
  injection_followup_target_days within [injection_followup_min_days, injection_followup_max_days] after
  (ties: earlier day). Several values on the chosen day: the highest (the worst pain recorded). Pre-injection
  MRI: the latest lumbar MRI (vars injection_image_modalities / _body_regions) with loaded pixel files (else
  the latest without) on or up to injection_mri_max_days_before days before the injection. Patients without a
  baseline or follow-up score or MRI stay in the cohort with nulls; the mart flags them.
#}
with

tfesi_days as (

    select distinct patient_id, px_date
    from {{ ref('stg_ehr__procedures') }}
    where code_system = 'CPT' and code in {{ sql_string_list(var('injection_tfesi_cpt_codes')) }}

),

nrs_recorded as (

    select patient_id, obs_date
    from {{ ref('stg_ehr__observations') }}
    where name = '{{ var('injection_nrs_name') }}' and value_num between 0 and 10

),

tfesi as (

    -- the first TFESI with a baseline score: injections without one cannot be evaluated
    select t.patient_id, min(t.px_date) as injection_date
    from tfesi_days as t
    inner join nrs_recorded as r
        on t.patient_id = r.patient_id
        and {{ days_between('r.obs_date', 't.px_date') }} between 0 and {{ var('injection_baseline_max_days_before') }}
    group by t.patient_id

),

indication as (

    select
        t.patient_id,
        -- herniation wins when both groups are coded (the more specific indication for TFESI)
        min(case when c.{{ adapter.quote('group') }} = 'herniated_disc' then 'herniation' else 'stenosis' end) as indication
    from tfesi as t
    inner join {{ ref('stg_ehr__diagnoses') }} as d
        on t.patient_id = d.patient_id
    inner join {{ ref('ref_ldh_lss_dx_codes') }} as c
        on d.code = c.code
        and d.code_system = c.code_system
    where {{ days_between('d.dx_date', 't.injection_date') }} between 0 and {{ var('injection_indication_lookback_days') }}
    group by t.patient_id
    -- chronic pain: the earliest qualifying code is old enough
    having max({{ days_between('d.dx_date', 't.injection_date') }}) >= {{ var('injection_min_symptom_days') }}

),

nrs as (

    select
        o.patient_id,
        o.obs_date,
        o.value_num,
        {{ days_between('i.injection_date', 'o.obs_date') }} as day
    from {{ ref('stg_ehr__observations') }} as o
    inner join indication as n
        on o.patient_id = n.patient_id
    inner join tfesi as i
        on o.patient_id = i.patient_id
    where o.name = '{{ var('injection_nrs_name') }}'
        and o.value_num between 0 and 10

),

baseline as (

    select patient_id, obs_date as nrs_pre_date, value_num as nrs_pre
    from (
        select *, row_number() over (partition by patient_id order by day desc, value_num desc) as rank_in_patient
        from nrs
        where day between -{{ var('injection_baseline_max_days_before') }} and 0
    ) as ranked
    where rank_in_patient = 1

),

followup as (

    select patient_id, obs_date as nrs_post_date, value_num as nrs_post
    from (
        select
            *,
            row_number() over (
                partition by patient_id
                order by abs(day - {{ var('injection_followup_target_days') }}), day, value_num desc
            ) as rank_in_patient
        from nrs
        where day between {{ var('injection_followup_min_days') }} and {{ var('injection_followup_max_days') }}
    ) as ranked
    where rank_in_patient = 1

),

mri as (

    select patient_id, image_id, image_date
    from (
        select
            m.patient_id,
            m.image_id,
            m.image_date,
            -- an MRI whose pixel data were loaded beats a later one with only a report: the CNN needs pixels
            row_number() over (
                partition by m.patient_id
                order by case when f.image_id is null then 1 else 0 end, m.image_date desc, m.image_id
            ) as rank_in_patient
        from {{ ref('stg_ehr__imaging') }} as m
        inner join tfesi as t
            on m.patient_id = t.patient_id
        left join (select distinct image_id from {{ ref('stg_ehr__image_files') }}) as f
            on m.image_id = f.image_id
        where m.modality in {{ sql_string_list(var('injection_image_modalities')) }}
            and m.body_region in {{ sql_string_list(var('injection_image_body_regions')) }}
            and {{ days_between('m.image_date', 't.injection_date') }}
                between 0 and {{ var('injection_mri_max_days_before') }}
    ) as ranked
    where rank_in_patient = 1

),

final as (

    select
        t.patient_id,
        t.injection_date,
        n.indication,
        b.nrs_pre,
        b.nrs_pre_date,
        f.nrs_post,
        f.nrs_post_date,
        m.image_id,
        m.image_date
    from tfesi as t
    inner join indication as n
        on t.patient_id = n.patient_id
    left join baseline as b
        on t.patient_id = b.patient_id
    left join followup as f
        on t.patient_id = f.patient_id
    left join mri as m
        on t.patient_id = m.patient_id

)

select * from final
