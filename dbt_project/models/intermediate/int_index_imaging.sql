with

imaging as (

    select * from {{ ref('stg_ehr__imaging') }}

),

spine_images_in_index_window as (

    select *
    from imaging
    where image_date between {{ var_date('index_window_start') }} and {{ var_date('index_window_end') }}
      and body_region in {{ sql_string_list(var('index_body_regions')) }}
      and modality in {{ sql_string_list(var('index_modalities')) }}

),

ranked as (

    select
        *,
        -- several studies on the index day: prefer the one with the most informative report
        row_number() over (
            partition by patient_id
            order by
                image_date,
                case modality when 'MRI' then 1 when 'CT' then 2 else 3 end,
                image_id
        ) as image_rank
    from spine_images_in_index_window

),

first_index_image as (

    select
        patient_id,
        image_id as index_image_id,
        image_date as index_date,
        modality as index_modality,
        body_region as index_body_region
    from ranked
    where image_rank = 1

)

select * from first_index_image
