with

source as (

    select * from {{ source('ehr_imaging', 'image_files') }}

),

renamed as (

    select
        image_id,
        trim(path) as path,
        upper(trim(format)) as format

    from source

)

select * from renamed
