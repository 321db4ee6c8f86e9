{#
  Where Spark writes a model's Parquet folder. dbt-spark writes managed tables into spark.sql.warehouse.dir
  unless `location_root` is set; a managed table's folder left behind by a crashed run (or a lost metastore)
  then blocks every later run with LOCATION_ALREADY_EXISTS, which no setting overrides. In session mode every
  model therefore gets an explicit location, <spark dir>/tables/<schema>/<model> (beside the warehouse
  folder the profile configures), as an external table: a re-run's `create table ... as select` overwrites
  the folder, which Spark allows only with spark.sql.legacy.allowNonEmptyLocationInCTAS=true (profiles.yml).
  A `location_root` set in config wins; seeds keep managed tables (they are inserted into, not CTAS).
#}
{% macro spark__location_clause() %}
    {%- set location_root = config.get('location_root', validator=validation.any[basestring]) -%}
    {%- if location_root is none and model.resource_type == 'model' -%}
        {%- set location_root = lumbar_spark_tables_root() -%}
        {%- if location_root -%}{%- set location_root = location_root ~ '/' ~ model.schema -%}{%- endif -%}
    {%- endif -%}
    {%- if location_root %}
    location '{{ location_root }}/{{ model.alias }}'
    {%- endif %}
{%- endmacro %}

{# <parent of spark.sql.warehouse.dir>/tables in session mode; none on a cluster (its own storage rules). #}
{% macro lumbar_spark_tables_root() %}
    {%- set credentials = adapter.config.credentials -%}
    {%- set warehouse_dir = credentials.server_side_parameters.get('spark.sql.warehouse.dir') -%}
    {%- if credentials.method != 'session' or not warehouse_dir -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(warehouse_dir.rstrip('/').rsplit('/', 1)[0] ~ '/tables') }}
{% endmacro %}
