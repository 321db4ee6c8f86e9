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
  A header: at the start of a line when followed by ":", "-" or a line break, anywhere when followed by ":".
  Case-insensitive; "." matches line breaks.
#}
{#- Written as template text, not a returned string literal, so the regex escapes reach the SQL unchanged. -#}
{% macro report_header_regex(headers) -%}
(?:(?:^|\n)[ \t]*(?:{{ headers }})[ \t]*(?::|-|\n)|\b(?:{{ headers }})[ \t]*:)
{%- endmacro %}

{#
  The text of the first section whose header matches `start_headers`, up to the next header in `end_headers` or
  the end of the report; '' when there is no such header.

  Two anchored replacements instead of one capture group: drop everything up to and including the first start
  header, then everything from the first end header on. Neither needs a capture group, so RE2 (DuckDB) answers
  both with its DFA; a capture group around a lazy `(.*?)` forces its NFA, which was 10x slower on the 250,000-
  patient benchmark's 436,000 reports. Both anchored patterns match at most once, so Spark's replace-all gives
  the same text.
#}
{% macro report_section(expr, start_headers, end_headers) -%}
    {%- set start = report_header_regex(start_headers) -%}
    {%- set stop = report_header_regex(end_headers) -%}
    case
        when {{ regexp_matches(expr, '(?is)' ~ start) }}
            then {{ regexp_replace_all(regexp_replace_all(expr, '(?is)^.*?' ~ start, ''), '(?is)' ~ stop ~ '.*$', '') }}
        else ''
    end
{%- endmacro %}
