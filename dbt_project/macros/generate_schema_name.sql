{#
  Schemas are named for their layer (staging, intermediate, phenotypes, cohorts, marts, reference),
  not prefixed with the target schema as dbt does by default, so analysts find `cohorts.*` and `marts.*`.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
