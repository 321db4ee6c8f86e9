with

source as (

    select * from {{ source('ehr', 'prescriptions') }}

),

normalised as (

    select
        patient_id,
        {{ dbt.cast('rx_date', api.Column.translate_type('date')) }} as rx_date,
        drug_name as source_drug_name,
        {{ drug_name_clean('drug_name') }} as drug_name_clean,
        nullif(trim(rxnorm_code), '') as rxnorm_code

    from source

)

select * from normalised
