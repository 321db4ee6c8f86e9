{#
  DuckDB's COPY ... TO fails when the target folder is missing, and Jinja cannot create folders. An empty
  partitioned COPY creates its target folder (one level, writing no file), so an on-run-start hook makes the
  marts folder exist when dbt is run by hand (`cd dbt_project && dbt build`). lumbar build creates it too.
#}
{% macro ensure_external_root() -%}
    {%- if target.type == 'duckdb' and execute -%}
        copy (select 1 as part, 1 as value where false)
        to '{{ adapter.external_root() }}' (format parquet, partition_by (part), overwrite_or_ignore)
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
