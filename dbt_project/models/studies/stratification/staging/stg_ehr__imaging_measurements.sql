with

source as (

    select * from {{ source('ehr_imaging', 'imaging_measurements') }}

),

renamed as (

    select
        image_id,
        upper(trim(level)) as level,
        lower(trim(measure)) as measure,
        value

    from source

)

select * from renamed
