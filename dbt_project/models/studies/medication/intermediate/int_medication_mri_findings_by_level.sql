{#
  Rule-based MRI findings of the index report, one row per image, spinal level and finding present
  (severity 1 mild, 2 moderate, 3 severe; absent findings have no row). Findings are the paper's report-derived
  diagnoses (004_8aea355467337d34.txt, Table 1 "radiology report"): disc pathology, spinal canal stenosis,
  lateral recess stenosis, foraminal stenosis, facet joint, endplate change, curvature.

  Per clause (int_medication_mri_report_clauses, negations already removed), a finding's severity is the
  highest of:
    - a severity word up to 30 characters before the finding ("moderate to severe left foraminal narrowing"
      -> severe) or right after it with a comma ("foraminal narrowing, moderate");
    - a type-based grade for discs: bulge 1, protrusion / herniation 2, extrusion / sequestration 3;
    - 1 (mild) when the finding is named without a grade ("facet arthropathy", "Modic type 2 endplate
      changes", "straightening of the lumbar lordosis").
  Clauses at thoracic, cervical or junctional levels (level 'non_lumbar') are not lumbar findings and are
  dropped. The level is 'unspecified' for findings not tied to a level (curvature, impression summaries).
#}
{%- set words = {
    3: 'severe|marked|advanced|high[- ]grade|critical',
    2: 'moderate',
    1: 'mild|minimal|minor|slight|small|tiny|trace|early',
} -%}
{%- set findings = [
    {'name': 'disc_pathology',
     'term': 'disc (degeneration|desiccation|height loss|space narrowing)|degenerative disc|loss of disc height|annular (fissure|tear)',
     'types': {3: 'extru|sequest', 2: 'protru|herniat', 1: 'bulg'}},
    {'name': 'spinal_canal_stenosis',
     'term': '(spinal|central) canal (stenosis|narrowing)|(spinal|central|canal) stenosis|narrowing of the (spinal |central )?canal|thecal sac (effacement|compression|narrowing)',
     'types': {}},
    {'name': 'lateral_recess_stenosis',
     'term': 'lateral recess(es)? (stenosis|narrowing|encroachment|effacement)|(narrowing|stenosis|encroachment|effacement) of the (left |right |bilateral )?lateral recess|subarticular (recess |zone )?(stenosis|narrowing)',
     'types': {}},
    {'name': 'foraminal_stenosis',
     'term': 'foramin(al)? (stenosis|narrowing|encroachment)|(narrowing|stenosis|encroachment) of the (left |right |bilateral )?(neural )?foram(en|ina)',
     'types': {}},
    {'name': 'facet_joint',
     'term': 'facet (joints? )?(arthropathy|hypertrophy|arthrosis|arthritis|osteoarthritis|osteoarthrosis|degeneration|degenerative|effusion|disease|spurring)',
     'types': {}},
    {'name': 'endplate_change',
     'term': 'end[ -]?plate (change|signal|edema|oedema|sclerosis|irregularit)|modic|schmorl',
     'types': {}},
    {'name': 'curvature',
     'term': 'scolio|(straighten[a-z]*|loss|reversal|reversed|exaggerat[a-z]*|increased|accentuat[a-z]*) of (the )?(normal )?(lumbar )?lordosis|lordosis is (straightened|reversed|lost|exaggerated|accentuated)|hyperlordosis|kyphosis|kyphotic',
     'types': {}},
] -%}
with

clauses as (

    select * from {{ ref('int_medication_mri_report_clauses') }}
    where level <> 'non_lumbar'
      and clause_text <> ''

),

graded as (

    {%- for f in findings %}
    select
        patient_id,
        image_id,
        level,
        '{{ f.name }}' as finding,
        case
            {#- most clause x finding pairs name no finding: one regex settles them before the grade regexes run #}
            when not ({{ regexp_matches('clause_text', f.term) }}
                {%- if f.types %} or {{ regexp_matches('clause_text', f.types.values() | join('|')) }}{% endif %})
                then 0
            {%- for grade in [3, 2, 1] %}
            when {{ regexp_matches('clause_text', '\\b(' ~ words[grade] ~ ')\\b[^.;]{0,30}(' ~ f.term ~ ')') }}
                or {{ regexp_matches('clause_text', '(' ~ f.term ~ ')[ ]*,[ ]*(' ~ words[grade] ~ ')\\b') }}
                {%- if grade in f.types %}
                or {{ regexp_matches('clause_text', f.types[grade]) }}
                {%- endif %}
                then {{ grade }}
            {%- endfor %}
            -- the finding is named without a grade
            else 1
        end as severity
    from clauses
    {{ 'union all' if not loop.last }}
    {%- endfor %}

),

by_level as (

    select
        patient_id,
        image_id,
        level,
        finding,
        cast(max(severity) as {{ dbt.type_int() }}) as severity
    from graded
    where severity > 0
    group by patient_id, image_id, level, finding

)

select * from by_level
