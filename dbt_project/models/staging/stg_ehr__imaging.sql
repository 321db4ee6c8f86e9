with

source as (

    select * from {{ source('ehr', 'imaging') }}

),

renamed as (

    select
        image_id,
        patient_id,
        {{ dbt.cast('image_date', api.Column.translate_type('date')) }} as image_date,
        upper(trim(modality)) as modality,
        lower(trim(body_region)) as body_region,
        report_text

    from source

)

select * from renamed
