with

source as (

    select * from {{ source('ehr', 'diagnoses') }}

),

normalised as (

    select
        patient_id,
        {{ dbt.cast('dx_date', api.Column.translate_type('date')) }} as dx_date,
        {{ normalise_code('code') }} as code,
        {{ normalise_code_system('code_system') }} as code_system,
        code as source_code

    from source

),

with_display as (

    select
        *,
        {{ code_display('code', 'code_system') }} as code_display

    from normalised

)

select * from with_display
