with

source as (

    select * from {{ source('ehr', 'providers') }}

),

renamed as (

    select
        provider_id,
        nullif(trim(gender), '') as gender,
        nullif(upper(trim(clinician_type)), '') as clinician_type,
        nullif(trim(specialty), '') as specialty

    from source

)

select * from renamed
