{#
  Make the `raw` sources resolvable (on-run-start hook). On DuckDB `lumbar load` writes raw.* into the
  warehouse, so there is nothing to do. On Spark the raw tables are Parquet files, one per contract table,
  named as in ingest/contract.py: `<raw_dir>/patients.parquet`, ... (a file, or a folder of part files with
  that name; e.g. the output of `lumbar generate`, or DuckDB's `copy raw.patients to '.../patients.parquet'`).
  Each is registered as an external table `raw.<table>` with the contract's column types, so a Parquet file
  written with other types (dates as strings) fails loudly instead of changing results.

  raw_dir: var `raw_dir`, else env LUMBAR_RAW_DIR, else ../warehouse/raw (relative to dbt_project/).
#}
{% macro register_raw_sources() -%}
    {{ return(adapter.dispatch('register_raw_sources', 'lumbar')()) }}
{%- endmacro %}

{% macro default__register_raw_sources() -%}
    select 1
{%- endmacro %}

{#
  Column types that are not strings, per contract table (ingest/contract.py; tests/spark checks the two agree).
  Every other column a source YAML lists is a string.
#}
{% macro raw_column_types() -%}
    {{ return({
        'patients': {'birth_date': 'date', 'death_date': 'date'},
        'imaging': {'image_date': 'date'},
        'diagnoses': {'dx_date': 'date'},
        'procedures': {'px_date': 'date'},
        'prescriptions': {'rx_date': 'date'},
        'observations': {'obs_date': 'date', 'value_num': 'double'},
        'imaging_measurements': {'value': 'double'},
    }) }}
{%- endmacro %}

{% macro raw_parquet_dir() -%}
    {%- set folder = var('raw_dir', env_var('LUMBAR_RAW_DIR', '../warehouse/raw')) | string -%}
    {#- local relative paths are relative to dbt_project/; URIs (s3a://, abfss://, file:/) are kept as given -#}
    {%- set folder = folder if folder.startswith('/') or ':' in folder else env_var('PWD', '.') ~ '/' ~ folder -%}
    {{ return(folder.rstrip('/')) }}
{%- endmacro %}

{% macro spark__register_raw_sources() -%}
    {%- if execute -%}
        {%- set folder = raw_parquet_dir() -%}
        {#- every source in schema raw, whichever YAML declares it (ehr, ehr_imaging, ...) -#}
        {%- set tables = {} -%}
        {%- for source in graph.sources.values() if source.schema == 'raw' -%}
            {%- do tables.update({source.name: source.columns.keys() | list}) -%}
        {%- endfor -%}
        {%- do run_query('create database if not exists raw') -%}
        {#- patients first: every load has it, so an empty one means the folder is wrong; stop before
            registering (and creating empty folders for) the other tables -#}
        {%- do register_raw_parquet_table('patients', tables.get('patients', []), folder) -%}
        {%- set n = run_query('select count(*) from raw.patients').columns[0].values()[0] -%}
        {%- if n == 0 -%}
            {{ exceptions.raise_compiler_error(
                "no patients in " ~ folder ~ "/patients.parquet; set LUMBAR_RAW_DIR (or --vars '{raw_dir: ...}') "
                ~ "to the folder holding the raw Parquet files") }}
        {%- endif -%}
        {%- for table, columns in tables.items() | sort if table != 'patients' -%}
            {%- do register_raw_parquet_table(table, columns, folder) -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}

{% macro register_raw_parquet_table(table, columns, folder) -%}
    {%- if not columns -%}
        {{ exceptions.raise_compiler_error(
            "source raw." ~ table ~ " lists no columns in its YAML; Spark needs them to register "
            ~ folder ~ "/" ~ table ~ ".parquet") }}
    {%- endif -%}
    {%- set types = raw_column_types().get(table, {}) -%}
    {%- set column_sql = [] -%}
    {%- for c in columns -%}
        {%- do column_sql.append(c ~ ' ' ~ types.get(c, 'string')) -%}
    {%- endfor -%}
    {#- drop + create, not `create or replace` (v1 Parquet tables cannot be replaced); dropping an external
        table leaves its files alone. A missing optional table reads as empty (Spark creates its folder). -#}
    {%- do run_query('drop table if exists raw.' ~ table) -%}
    {%- do run_query('create table raw.' ~ table ~ ' (' ~ column_sql | join(', ') ~ ') using parquet '
                     ~ "location '" ~ folder ~ '/' ~ table ~ ".parquet'") -%}
{%- endmacro %}
