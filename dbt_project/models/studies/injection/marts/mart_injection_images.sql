{# Pixel-data files of each injection-cohort MRI (image_id -> path), in file order within the study. #}
with

features as (

    select patient_id, image_id from {{ ref('mart_injection_features') }}

),

final as (

    select
        f.patient_id,
        f.image_id,
        fl.path,
        fl.format,
        -- bigint on every engine (Spark's row_number is an int): the contract names one type
        cast(row_number() over (partition by f.image_id order by fl.path) as {{ dbt.type_bigint() }}) as file_number
    from features as f
    inner join {{ ref('stg_ehr__image_files') }} as fl
        on f.image_id = fl.image_id

)

-- sorted by the key: parallel hash joins give rows in any order, and marts must be byte-identical
select * from final
order by image_id, file_number
