with

source as (

    select * from {{ source('ehr', 'patients') }}

),

renamed as (

    select
        ---------- ids
        patient_id,
        pcp_provider_id,

        ---------- demographics: blanks are unknown, not a category of their own
        upper(trim(sex)) as sex,
        nullif(trim(race), '') as race,
        nullif(trim(ethnicity), '') as ethnicity,
        nullif(trim(language), '') as language,
        trim(site) as site,

        ---------- dates
        {{ dbt.cast('birth_date', api.Column.translate_type('date')) }} as birth_date,
        {{ dbt.cast('death_date', api.Column.translate_type('date')) }} as death_date

    from source

)

select * from renamed
