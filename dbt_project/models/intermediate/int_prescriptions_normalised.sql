{#
  Prescriptions with an ingredient-level generic name, the drug feature. The ingredient name is derived from
  the cleaned order text (macro drug_ingredient_name: dose strings, units, forms, release modifiers and salts
  removed, combinations written a/b), then mapped through ref_drug_brand_generic (brands such as "norco" and
  reordered combinations to the generic), with the NSAID / opioid class from ref_drug_names (none otherwise).
  The regular expressions run once per distinct order text, not once per order. A name that is nothing but
  dose text keeps its cleaned form so no order is dropped.
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

distinct_names as (

    select distinct drug_name_clean from prescriptions

),

ingredient as (

    select
        drug_name_clean,
        {{ drug_ingredient_name('drug_name_clean') }} as ingredient_name
    from distinct_names

),

name_map as (

    select
        i.drug_name_clean,
        case
            when i.ingredient_name = '' or i.ingredient_name is null then i.drug_name_clean
            else i.ingredient_name
        end as drug_ingredient_name
    from ingredient as i

),

generic as (

    select
        m.drug_name_clean,
        m.drug_ingredient_name,
        coalesce(b.generic_name, m.drug_ingredient_name) as drug_generic_name,
        coalesce(b.kind, 'ingredient') as name_mapped_from
    from name_map as m
    left join brand_generic as b
        on m.drug_ingredient_name = b.name_variant

),

classified as (

    select
        g.*,
        coalesce(n.drug_class, 'none') as drug_class
    from generic as g
    left join drug_names as n
        on g.drug_generic_name = n.generic_name

),

orders as (

    select
        p.patient_id,
        p.rx_date,
        p.drug_name_clean,
        c.drug_ingredient_name,
        c.drug_generic_name,
        c.name_mapped_from,
        p.rxnorm_code,
        c.drug_class
    from prescriptions as p
    inner join classified as c
        on p.drug_name_clean = c.drug_name_clean

)

select * from orders
