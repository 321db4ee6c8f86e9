{#
  Regular expressions that locate report sections (int_imaging_reports_cleaned). Header spellings were chosen
  from the variants radiology reports use: FINDINGS:, Findings -, FINDING:, IMPRESSION:, "Impression" alone on a
  line, CONCLUSION:. The LIRE epidemiology note (EPIDEMIOLOGY:) is a section of its own, never part of the
  findings or impression. Edit the lists here to support another site's templates.
#}
{% macro report_header_pattern(kind) -%}
    {%- set headers = {
        'findings': 'findings?',
        'impression': 'impressions?|conclusions?',
        'other': 'history|clinical history|indications?|technique|comparisons?|exam|examination|procedure'
                 ~ '|reason for exam|clinical information|recommendations?|addendum|electronically signed'
                 ~ '|signed|dictated by|attestation|epidemiology|lire note',
    } -%}
    {{- return(headers[kind]) -}}
{%- endmacro %}

{#
  Capture group 1 = the text of the first section whose header matches `start_headers`, up to the next header in
  `end_headers` or the end of the report. A header counts at the start of a line when followed by ":", "-" or a
  line break, and anywhere when followed by ":". Case-insensitive; "." matches line breaks.
#}
{#- Written as template text, not a returned string literal, so the regex escapes reach the SQL unchanged. -#}
{% macro report_section_pattern(start_headers, end_headers) -%}
(?is)(?:(?:^|\n)[ \t]*(?:{{ start_headers }})[ \t]*(?::|-|\n)|\b(?:{{ start_headers }})[ \t]*:)(.*?)(?:\n[ \t]*(?:{{ end_headers }})[ \t]*(?::|-|\n)|\b(?:{{ end_headers }})[ \t]*:|$)
{%- endmacro %}
