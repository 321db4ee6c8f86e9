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
        -- several studies on the index day: the first modality of index_same_day_modality_order wins
        {%- set modality_order = var('index_same_day_modality_order') %}
        row_number() over (
            partition by patient_id
            order by
                image_date,
                case modality
                    {%- for modality in modality_order %}
                    when {{ dbt.string_literal(modality) }} then {{ loop.index }}
                    {%- endfor %}
                    else {{ modality_order | length + 1 }}
                end,
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
