{#
  Diagnosis and procedure records that belong to a medication-study code list, one row per record and list
  membership: low back pain (med_lbp_dx_codes), exclusions (med_exclusion_codes: diagnoses and procedures, plus
  every lumbar decompression code of ref_decompression_px_codes as prior_spinal_surgery, so the surgery study's
  reviewed list is reused rather than copied) and chart diagnosis groups (med_chart_dx_groups; a code in several
  groups gives several rows). The test assert_medication_exclusions_do_not_copy_decompression keeps the two
  surgery lists disjoint, so a procedure matches prior_spinal_surgery once.
#}
with

diagnoses as (

    select patient_id, dx_date as event_date, code, code_system from {{ ref('stg_ehr__diagnoses') }}

),

procedures as (

    select patient_id, px_date as event_date, code, code_system from {{ ref('stg_ehr__procedures') }}

),

code_lists as (

    select code, code_system, {{ adapter.quote('group') }} as code_group, 'low_back_pain' as code_list from {{ ref('med_lbp_dx_codes') }}
    union all
    select code, code_system, {{ adapter.quote('group') }} as code_group, 'exclusion' as code_list from {{ ref('med_exclusion_codes') }}
    union all
    select code, code_system, 'prior_spinal_surgery' as code_group, 'exclusion' as code_list from {{ ref('ref_decompression_px_codes') }}
    union all
    select code, code_system, {{ adapter.quote('group') }} as code_group, 'chart_dx' as code_list from {{ ref('med_chart_dx_groups') }}

),

events as (

    select * from diagnoses
    union all
    select * from procedures

),

matched as (

    select
        e.patient_id,
        e.event_date,
        e.code,
        e.code_system,
        l.code_list,
        l.code_group
    from events as e
    inner join code_lists as l
        on e.code = l.code
        and e.code_system = l.code_system

)

select * from matched
