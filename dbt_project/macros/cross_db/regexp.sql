{#
  Regular expressions differ between engines: DuckDB needs the 'g' option to replace every match,
  Spark replaces every match by default and uses Java regex. Patterns used in this project stick to the
  subset both engines share (character classes, \b, \s, alternation, non-greedy quantifiers, (?i)/(?s)).
#}

{# Replace every match of `pattern` in `expr` with the literal `replacement` (no back-references). #}
{% macro regexp_replace_all(expr, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all', 'lumbar')(expr, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}')
{%- endmacro %}

{# Spark parses backslash escapes in string literals: double them so the regex engine sees them. #}
{% macro spark__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern | replace('\\', '\\\\') }}', '{{ replacement }}')
{%- endmacro %}

{% macro duckdb__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

{# The text of capture group `group` of the first match, or '' when there is no match. #}
{% macro regexp_extract_group(expr, pattern, group=1) -%}
    {{ return(adapter.dispatch('regexp_extract_group', 'lumbar')(expr, pattern, group)) }}
{%- endmacro %}

{% macro default__regexp_extract_group(expr, pattern, group=1) -%}
    regexp_extract({{ expr }}, '{{ pattern }}', {{ group }})
{%- endmacro %}

{% macro spark__regexp_extract_group(expr, pattern, group=1) -%}
    regexp_extract({{ expr }}, '{{ pattern | replace('\\', '\\\\') }}', {{ group }})
{%- endmacro %}

{# True when `pattern` matches anywhere in `expr`. #}
{% macro regexp_matches(expr, pattern) -%}
    {{ return(adapter.dispatch('regexp_matches', 'lumbar')(expr, pattern)) }}
{%- endmacro %}

{% macro default__regexp_matches(expr, pattern) -%}
    ({{ expr }} rlike '{{ pattern }}')
{%- endmacro %}

{% macro spark__regexp_matches(expr, pattern) -%}
    ({{ expr }} rlike '{{ pattern | replace('\\', '\\\\') }}')
{%- endmacro %}

{% macro duckdb__regexp_matches(expr, pattern) -%}
    regexp_matches({{ expr }}, '{{ pattern }}')
{%- endmacro %}
