with

source as (

    select * from {{ source('ehr', 'observations') }}

),

renamed as (

    select
        patient_id,
        {{ dbt.cast('obs_date', api.Column.translate_type('date')) }} as obs_date,
        lower(trim(name)) as name,
        value_num,
        nullif(trim(value_text), '') as value_text

    from source

)

select * from renamed
