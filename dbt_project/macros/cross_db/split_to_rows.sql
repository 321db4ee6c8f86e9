{#
  Split a string into one row per piece, with the piece's position: a select-list fragment that defines two
  columns, `value_alias` and `position_alias` (the query returns one row per piece; other selected columns
  repeat). Positions increase along the string (1-based on DuckDB, 0-based on Spark): use them for order only. `pattern` is a regex in the shared subset described in regexp.sql.

      select image_id, {{ split_to_rows('report', '[.;\\n]', 'clause', 'clause_number') }} from reports
#}
{% macro split_to_rows(expr, pattern, value_alias, position_alias) -%}
    {{ return(adapter.dispatch('split_to_rows', 'lumbar')(expr, pattern, value_alias, position_alias)) }}
{%- endmacro %}

{# Spark: posexplode returns (pos, col). #}
{% macro default__split_to_rows(expr, pattern, value_alias, position_alias) -%}
    posexplode(split({{ expr }}, '{{ pattern | replace('\\', '\\\\') }}')) as ({{ position_alias }}, {{ value_alias }})
{%- endmacro %}

{# DuckDB zips unnest and generate_subscripts of the same list element by element. #}
{% macro duckdb__split_to_rows(expr, pattern, value_alias, position_alias) -%}
    unnest(regexp_split_to_array({{ expr }}, '{{ pattern }}')) as {{ value_alias }},
    generate_subscripts(regexp_split_to_array({{ expr }}, '{{ pattern }}'), 1) as {{ position_alias }}
{%- endmacro %}
