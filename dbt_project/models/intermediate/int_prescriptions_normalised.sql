{#
  Prescriptions with an ingredient-level generic name, the drug feature: staging's ingredient name
  (dose strings and forms removed) mapped through ref_drug_brand_generic (brands such as "norco" and
  reordered combinations to the generic), with the NSAID / opioid class from ref_drug_names (none otherwise).
  A name that is nothing but dose text keeps its cleaned form so no order is dropped.
#}
with

prescriptions as (

    select * from {{ ref('stg_ehr__prescriptions') }}

),

brand_generic as (

    select * from {{ ref('ref_drug_brand_generic') }}

),

drug_names as (

    select * from {{ ref('ref_drug_names') }}

),

ingredient as (

    select
        *,
        case
            when drug_ingredient_name = '' or drug_ingredient_name is null then drug_name_clean
            else drug_ingredient_name
        end as ingredient_name
    from prescriptions

),

generic as (

    select
        i.patient_id,
        i.rx_date,
        i.drug_name_clean,
        i.ingredient_name as drug_ingredient_name,
        coalesce(b.generic_name, i.ingredient_name) as drug_generic_name,
        coalesce(b.kind, 'ingredient') as name_mapped_from,
        i.rxnorm_code
    from ingredient as i
    left join brand_generic as b
        on i.ingredient_name = b.name_variant

),

classified as (

    select
        g.*,
        coalesce(n.drug_class, 'none') as drug_class
    from generic as g
    left join drug_names as n
        on g.drug_generic_name = n.generic_name

)

select * from classified
