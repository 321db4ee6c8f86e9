{#
  Generic drug names that no medication-study list classified (neither ref_drug_names nor a
  med_drug_class_terms word), with order and patient counts, most ordered first. They count as class none in the
  outcome; review the top of this list for NSAIDs or opioids the seeds miss (add a term to med_drug_class_terms).
#}
with

drug_classes as (

    select * from {{ ref('int_medication_drug_classes') }}

),

unmapped as (

    select
        drug_generic_name,
        n_orders,
        n_patients
    from drug_classes
    where not is_mapped

)

select * from unmapped
