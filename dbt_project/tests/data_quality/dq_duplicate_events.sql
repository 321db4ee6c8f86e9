{{ config(severity='warn', tags=['data_quality'], fail_calc='coalesce(sum(n_surplus_copies), 0)') }}
{#
  Event rows identical to another row of the same table after staging normalisation (DQD
  isPrimaryKey / duplicate records): same patient, date and code (diagnoses, procedures), drug text
  (prescriptions), name and value (observations), or modality, region and report (imaging studies with
  different ids). The loader keeps them (the same code twice on a day can be two encounters) and the features
  count days, not rows. One row per duplicated event with its number of surplus copies; the failure count
  (fail_calc) is the number of surplus copies. A hash aggregate, not a row_number() window: no sort of the
  11 million events of the 250,000-patient benchmark.
#}
with

keyed as (

    select 'diagnoses' as table_name, patient_id, dx_date as event_date,
        {{ dbt.concat(['code', "'|'", 'code_system']) }} as event_key
    from {{ ref('stg_ehr__diagnoses') }}
    union all
    select 'procedures' as table_name, patient_id, px_date as event_date,
        {{ dbt.concat(['code', "'|'", 'code_system']) }} as event_key
    from {{ ref('stg_ehr__procedures') }}
    union all
    select 'prescriptions' as table_name, patient_id, rx_date as event_date,
        {{ dbt.concat(['drug_name_clean', "'|'", "coalesce(rxnorm_code, '')"]) }} as event_key
    from {{ ref('stg_ehr__prescriptions') }}
    union all
    select 'observations' as table_name, patient_id, obs_date as event_date,
        {{ dbt.concat(['name', "'|'", "coalesce(" ~ dbt.cast('value_num', api.Column.translate_type('string')) ~ ", '')",
                       "'|'", "coalesce(value_text, '')"]) }} as event_key
    from {{ ref('stg_ehr__observations') }}
    union all
    select 'imaging' as table_name, patient_id, image_date as event_date,
        {{ dbt.concat(['modality', "'|'", 'body_region', "'|'", "coalesce(report_text, '')"]) }} as event_key
    from {{ ref('stg_ehr__imaging') }}

),

duplicated as (

    select
        table_name,
        patient_id,
        event_date,
        count(*) - 1 as n_surplus_copies
    from keyed
    group by table_name, patient_id, event_date, event_key
    having count(*) > 1

)

select * from duplicated
