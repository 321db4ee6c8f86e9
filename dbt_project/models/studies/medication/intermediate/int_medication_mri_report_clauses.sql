{#
  The index MRI reports of the medication cohort (int_medication_index_mri, cohort_medication) cut into clauses, each with the spinal level it describes and
  its text after negation removal: the input of the rule-based MRI findings extractor
  (int_medication_mri_findings_by_level; 004_8aea355467337d34.txt extracted the same findings with an LLM).

  1. Text is lower-cased and level spellings are normalised: "L4-5", "L4/L5", "l4 - l5" -> "l4-l5"; "L5-S1" /
     "L5/S1" / "L5-1" -> "l5-s1".
  2. Clauses: the text is split at ". ; newline" and at the words that end a negation's scope in NegEx
     ("but", "however", "although", "though", "whereas", "with"), so "no stenosis, with moderate foraminal
     narrowing" keeps the foraminal finding.
  3. Sections: a clause that starts with a header (findings, impression, conclusion, history, indication,
     technique, comparison, epidemiology) opens a section. Clauses in history / indication / technique /
     comparison / epidemiology sections and the exam line are not findings (the LIRE epidemiology note lists
     disc bulge and protrusion as common in volunteers; a history line says "evaluate for stenosis").
  4. Level: each lumbar level named in the clause (one row per level); else 'non_lumbar' when the clause names
     a thoracic, cervical or junctional level (T12-L1); else the level of the last level label ("L4-L5:") earlier
     in the same section; else 'unspecified' (impression summaries, scoliosis, multilevel findings).
  5. Negation: text from a negation cue (no, not, without, negative for, free of, absence of) to the end of the
     clause is removed, and a clause saying a finding "is not seen / is absent" is emptied. The list in
     "no disc herniation, spinal canal stenosis, or foraminal narrowing" is one clause, so all three are negated.
#}
{%- set lumbar_levels = [
    ('l1-l2', 'l1', 'l?2'), ('l2-l3', 'l2', 'l?3'), ('l3-l4', 'l3', 'l?4'), ('l4-l5', 'l4', 'l?5'), ('l5-s1', 'l5', 's?1'),
] -%}
{%- set clause_split = '[.;\\n]|\\b(but|however|although|though|whereas|with)\\b' -%}
{%- set header = '^[^a-z0-9]*(clinical history|history|indication|technique|comparison|exam|findings?|impression|conclusions?|epidemiology)[ ]*(:|-|$)' -%}
{%- set label = '^[^a-z0-9]*([a-z]+[ ]*[:-][ ]*)?([tlcs][0-9]{1,2}[ ]*[-/][ ]*[tlcs]?[0-9]{1,2})([ ]+level)?[ ]*:' -%}
{%- set non_lumbar_level = '\\b(t1[0-2]|t[1-9]|c[1-7])[ ]*[-/][ ]*[tlcs]?[0-9]{1,2}\\b' -%}
{%- set negation_cue = '\\b(no|not|without|negative for|free of|absence of)\\b.*$' -%}
{%- set negated_after = '\\b(is|are|was|were)[ ]+(not[ ]+(seen|present|identified|evident|demonstrated|visualized)|absent)\\b' -%}
with

cohort as (

    select patient_id from {{ ref('cohort_medication') }}

),

reports as (

    -- only the cohort's reports: the mart reads no other, and about 60 % of first lumbar MRIs belong to
    -- patients the cohort rules leave out
    select
        i.patient_id,
        i.index_image_id as image_id,
        lower(i.report_text) as report_text
    from {{ ref('int_medication_index_mri') }} as i
    inner join cohort as c
        on i.patient_id = c.patient_id
    where i.has_report

),

levels_normalised as (

    {%- set text = namespace(expr='report_text') %}
    {%- for name, first, second in lumbar_levels %}
    {%- set text.expr = regexp_replace_all(text.expr, '\\b' ~ first ~ '[ ]*[-/][ ]*' ~ second ~ '\\b', name) %}
    {%- endfor %}
    select
        patient_id,
        image_id,
        {{ text.expr }} as report_text
    from reports

),

clauses as (

    select
        patient_id,
        image_id,
        {{ split_to_rows('report_text', clause_split, 'clause_raw', 'clause_number') }}
    from levels_normalised

),

classified as (

    select
        patient_id,
        image_id,
        clause_number,
        trim(clause_raw) as clause_raw,
        nullif({{ regexp_extract_group('clause_raw', header, 1) }}, '') as header_word,
        nullif({{ regexp_extract_group('clause_raw', label, 2) }}, '') as label_text
    from clauses
    where trim(clause_raw) <> ''

),

with_markers as (

    select
        *,
        case
            when header_word in ('findings', 'finding', 'impression', 'conclusion', 'conclusions') then 'findings'
            when header_word is null or header_word = 'exam' then null
            else 'context'
        end as opens_section,
        case
            when label_text is null then null
            when label_text in ({% for name, _, _ in lumbar_levels %}'{{ name }}'{{ ', ' if not loop.last }}{% endfor %}) then label_text
            else 'non_lumbar'
        end as label_level
    from classified

),

positioned as (

    -- the latest section header and level label at or before each clause, found with one window pass: the
    -- clause number is zero-padded in front of the value so that max() picks the latest one
    select
        *,
        max(case when opens_section is not null then {{ dbt.concat(["lpad(cast(clause_number as " ~ dbt.type_string() ~ "), 8, '0')", 'opens_section']) }} end) over (
            partition by image_id order by clause_number rows between unbounded preceding and current row
        ) as section_marker,
        max(case when label_level is not null then {{ dbt.concat(["lpad(cast(clause_number as " ~ dbt.type_string() ~ "), 8, '0')", 'label_level']) }} end) over (
            partition by image_id order by clause_number rows between unbounded preceding and current row
        ) as label_marker
    from with_markers

),

resolved as (

    select
        patient_id,
        image_id,
        clause_number,
        clause_raw,
        coalesce(substring(section_marker, 9), 'findings') as section,
        header_word = 'exam' as is_exam_line,
        -- a label only carries into clauses of the same section
        case
            when label_marker is not null
                and coalesce(substring(section_marker, 1, 8), '') <= substring(label_marker, 1, 8)
                then substring(label_marker, 9)
        end as inherited_level
    from positioned

),

negation_removed as (

    select
        *,
        case
            when {{ regexp_matches('clause_raw', negated_after) }} then ''
            else trim({{ regexp_replace_all('clause_raw', negation_cue, '') }})
        end as clause_text
    from resolved
    where section = 'findings'
      and not coalesce(is_exam_line, false)

),

lumbar_level_names as (

    {%- for name, _, _ in lumbar_levels %}
    select '{{ name }}' as level_name
    {{ 'union all' if not loop.last }}
    {%- endfor %}

),

named_levels as (

    select
        c.image_id,
        c.clause_number,
        l.level_name
    from negation_removed as c
    inner join lumbar_level_names as l
        on c.clause_raw like {{ dbt.concat(["'%'", 'l.level_name', "'%'"]) }}

),

leveled as (

    select
        c.patient_id,
        c.image_id,
        c.clause_number,
        case
            when n.level_name is not null then upper(n.level_name)
            when {{ regexp_matches('c.clause_raw', non_lumbar_level) }} then 'non_lumbar'
            when c.inherited_level = 'non_lumbar' then 'non_lumbar'
            when c.inherited_level is not null then upper(c.inherited_level)
            else 'unspecified'
        end as level,
        c.section,
        c.clause_text
    from negation_removed as c
    left join named_levels as n
        on c.image_id = n.image_id
        and c.clause_number = n.clause_number

)

select * from leveled
