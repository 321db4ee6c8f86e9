{#
  Seed loading on Spark in session mode. dbt-spark inserts seeds as `insert ... values` batches of 10,000
  cast() rows, which Spark's analyser handles slowly: the 79,000-row GEM seed took over three minutes on two
  cores. In session mode the driver runs on this machine and can read the seed CSV itself, so the rows are
  inserted with one `insert ... select` from Spark's CSV reader (seconds). Values are read as text and cast
  to the same column types dbt-spark would use (column_types, else agate's inferred type); empty fields are
  null, as in dbt's own loader. On a cluster (thrift, http, odbc) the executors cannot see the dbt host's
  files, so dbt-spark's batched inserts are used unchanged.
#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {#- `target` does not carry dbt-spark's connection method; the adapter's credentials do -#}
    {%- if adapter.config.credentials.method != 'session' -%}
        {{ return(dbt_spark_load_csv_rows(model, agate_table)) }}
    {%- endif -%}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set csv_path = model['root_path'] ~ '/' ~ model['original_file_path'] -%}
    {%- set view = 'lumbar_seed_csv_' ~ model['name'] -%}
    {#- RFC 4180 quoting ("" inside quotes), header row, every column read as a string -#}
    {%- call statement('_') -%}
        create or replace temporary view {{ view }}
        using csv
        options (path '{{ csv_path }}', header 'true', inferSchema 'false', escape '"', multiLine 'true',
                 mode 'FAILFAST', encoding 'UTF-8')
    {%- endcall -%}
    {%- set sql -%}
        {#- overwrite: a managed folder left by a crashed run must not add its rows to the seed -#}
        insert overwrite table {{ this.render() }}
        select
        {%- for col_name in agate_table.column_names %}
            {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
            {%- set type = column_override.get(col_name, inferred_type) %}
            cast(`{{ col_name }}` as {{ type }}){{ ',' if not loop.last }}
        {%- endfor %}
        from {{ view }}
    {%- endset -%}
    {%- call statement('_') -%}{{ sql }}{%- endcall -%}
    {%- call statement('_') -%}drop view if exists {{ view }}{%- endcall -%}
    {{ return(sql) }}
{% endmacro %}

{# dbt-spark's own loader (batched inserts), for Spark connections that do not run on this machine. #}
{% macro dbt_spark_load_csv_rows(model, agate_table) %}
    {#- the `dbt` namespace holds the adapter's macros, which the project-level spark__ override shadows -#}
    {{ return(dbt.spark__load_csv_rows(model, agate_table)) }}
{% endmacro %}
