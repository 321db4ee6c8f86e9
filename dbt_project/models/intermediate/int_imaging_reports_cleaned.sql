{#
  Findings and impression sections of every imaging report, located with regular expressions over the
  header spellings radiologists use (FINDINGS:, Findings -, FINDING:, IMPRESSION:, "Impression" on its own
  line, CONCLUSION:), concatenated findings then impression, and cleaned: lower case, punctuation replaced
  by spaces, whitespace collapsed (000_dc58a6666935e68a.txt, "Index imaging reports").
  A header counts at the start of a line (followed by ":", "-" or a line break) or anywhere when followed by
  ":". A section ends at the next known header or the end of the report. When neither section is found,
  sections_found is false and the whole report is used, so no report is silently emptied.
#}
{%- set findings = report_header_pattern('findings') -%}
{%- set impression = report_header_pattern('impression') -%}
{%- set other_headers = report_header_pattern('other') -%}

with

imaging as (

    select
        image_id,
        patient_id,
        image_date,
        modality,
        body_region,
        coalesce(report_text, '') as report_text
    from {{ ref('stg_ehr__imaging') }}

),

sections as (

    select
        *,
        trim({{ report_section('report_text', findings, impression ~ '|' ~ other_headers) }})
            as findings_text,
        trim({{ report_section('report_text', impression, findings ~ '|' ~ other_headers) }})
            as impression_text
    from imaging

),

selected_text as (

    select
        image_id,
        patient_id,
        image_date,
        modality,
        body_region,
        (findings_text <> '' or impression_text <> '') as sections_found,
        findings_text <> '' as findings_found,
        impression_text <> '' as impression_found,
        case
            when findings_text <> '' or impression_text <> ''
                then {{ dbt.concat(['findings_text', "' '", 'impression_text']) }}
            else report_text
        end as report_selected
    from sections

),

cleaned as (

    select
        image_id,
        patient_id,
        image_date,
        modality,
        body_region,
        sections_found,
        findings_found,
        impression_found,
        {{ clean_report_text('report_selected') }} as report_clean
    from selected_text

)

select * from cleaned
