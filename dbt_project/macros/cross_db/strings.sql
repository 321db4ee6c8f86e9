{#
  String predicates whose spelling differs between engines. LIKE with an escaped '_' is not portable either
  (Spark reads '\' in a string literal as an escape), so prefix tests go through starts_with.
#}

{# True when `expr` begins with the literal text `prefix` (no wildcards). #}
{% macro starts_with(expr, prefix) -%}
    {{ return(adapter.dispatch('starts_with', 'lumbar')(expr, prefix)) }}
{%- endmacro %}

{% macro default__starts_with(expr, prefix) -%}
    (substr({{ expr }}, 1, {{ prefix | length }}) = {{ dbt.string_literal(prefix) }})
{%- endmacro %}

{% macro duckdb__starts_with(expr, prefix) -%}
    starts_with({{ expr }}, {{ dbt.string_literal(prefix) }})
{%- endmacro %}
