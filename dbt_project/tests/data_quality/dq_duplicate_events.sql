{{ config(severity='warn', tags=['data_quality'], fail_calc='coalesce(sum(n_surplus_copies), 0)') }}
{#
  Event rows identical to another row of the same table after staging normalisation (DQD
  isPrimaryKey / duplicate records): same patient, date and code (diagnoses, procedures), drug text
  (prescriptions), name and value (observations), or modality, region and report (imaging studies with
  different ids). The loader keeps them (the same code twice on a day can be two encounters) and the features
  count days, not rows. One row per duplicated event with its number of surplus copies; the failure count
  (fail_calc) is the number of surplus copies. A hash aggregate per table on its own columns, not a row_number() window over
  concatenated keys: no sort and no string building over the 11 million events of the 250,000-patient
  benchmark.
#}
{%- set tables = [
    ('diagnoses', 'stg_ehr__diagnoses', 'dx_date', ['code', 'code_system']),
    ('procedures', 'stg_ehr__procedures', 'px_date', ['code', 'code_system']),
    ('prescriptions', 'stg_ehr__prescriptions', 'rx_date', ['drug_name_clean', 'rxnorm_code']),
    ('observations', 'stg_ehr__observations', 'obs_date', ['name', 'value_num', 'value_text']),
    ('imaging', 'stg_ehr__imaging', 'image_date', ['modality', 'body_region', 'report_text']),
] %}
with

duplicated as (

    {#- one aggregate per table on its own columns (group by treats nulls as equal): no string keys to build #}
    {%- for name, model, date_column, columns in tables %}
    select
        '{{ name }}' as table_name,
        patient_id,
        {{ date_column }} as event_date,
        count(*) - 1 as n_surplus_copies
    from {{ ref(model) }}
    group by patient_id, {{ date_column }}, {{ columns | join(', ') }}
    having count(*) > 1
    {{ 'union all' if not loop.last }}
    {%- endfor %}

)

select * from duplicated
