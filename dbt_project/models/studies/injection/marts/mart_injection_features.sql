{#
  One row per injection-cohort patient with a complete outcome and a pre-injection MRI: the label
  (good_outcome = NRS reduction >= injection_responder_min_percent %, exactly 50 % counts; responder macro),
  an MCID responder (reduction >= injection_mcid_nrs_points, 2) for comparison, clinical features (age, sex, baseline NRS, indication) and the
  report-derived grades at the treated level: Miskin central canal and lateral recess grade (0-3) and Modic
  type (0 none, 1-3), read from "Miskin grade N" / "Modic type N" / "No Modic" phrases (null when absent).
  Split: deterministic stratified 75/25 by label (split macro, injection_split_* vars).
#}
with

cohort as (

    select * from {{ ref('cohort_injection') }}
    where nrs_pre is not null and nrs_post is not null and image_id is not null

),

reports as (

    select image_id, lower(report_text) as report
    from {{ ref('stg_ehr__imaging') }}

),

grades as (

    select
        image_id,
        nullif({{ regexp_extract_group('report', 'central canal stenosis[^.]*?miskin grade ([0-3])') }}, '')
            as miskin_central_text,
        nullif({{ regexp_extract_group('report', 'lateral recess stenosis[^.]*?miskin grade ([0-3])') }}, '')
            as miskin_lateral_text,
        nullif({{ regexp_extract_group('report', 'modic type ([1-3])') }}, '') as modic_text,
        report like '%no modic%' as says_no_modic
    from reports

),

labelled as (

    select
        c.patient_id,
        c.injection_date,
        c.image_id,
        c.indication,
        p.sex,
        {{ completed_years('p.birth_date', 'c.injection_date') }}
            as age_at_injection,
        c.nrs_pre,
        c.nrs_post,
        cast({{ responder_percent('c.nrs_pre', 'c.nrs_post', var('injection_responder_min_percent')) }}
            as {{ dbt.type_int() }}) as good_outcome,
        cast({{ responder_mcid('c.nrs_pre', 'c.nrs_post', var('injection_mcid_nrs_points')) }} as {{ dbt.type_int() }})
            as mcid_responder,
        cast(g.miskin_central_text as {{ dbt.type_int() }}) as miskin_central,
        cast(g.miskin_lateral_text as {{ dbt.type_int() }}) as miskin_lateral_recess,
        cast(case when g.modic_text is not null then g.modic_text when g.says_no_modic then '0' end
            as {{ dbt.type_int() }}) as modic_type
    from cohort as c
    inner join {{ ref('stg_ehr__patients') }} as p
        on c.patient_id = p.patient_id
    left join grades as g
        on c.image_id = g.image_id
    where c.nrs_pre > 0

),

final as (

    select
        *,
        {{ split_column('good_outcome', seed_var='injection_split_seed', fraction_var='injection_split_test_fraction') }}
            as split
    from labelled

)

-- sorted by the key: parallel hash joins give rows in any order, and marts must be byte-identical
select * from final
order by patient_id
