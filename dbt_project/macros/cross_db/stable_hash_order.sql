{#
  A deterministic, engine-independent sort key for a row: the md5 hex digest of the given
  expressions joined with '|'. md5 is available (and identical) on DuckDB, Spark, Postgres, Snowflake,
  so the same seed gives the same split everywhere.
#}
{% macro stable_hash(expressions) -%}
    {%- set parts = [] -%}
    {%- for e in expressions -%}
        {%- do parts.append(dbt.cast(e, api.Column.translate_type('string'))) -%}
        {%- if not loop.last -%}{%- do parts.append("'|'") -%}{%- endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}
