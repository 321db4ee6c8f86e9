{#
  Every prescription order with its medication-study class (int_medication_drug_classes): the rows the
  outcome (most potent class on days 0..medication_outcome_days after index) is computed from.
#}
with

prescriptions as (

    select * from {{ ref('int_prescriptions_normalised') }}

),

drug_classes as (

    select * from {{ ref('int_medication_drug_classes') }}

),

classified as (

    select
        p.patient_id,
        p.rx_date,
        p.drug_generic_name,
        c.drug_class,
        c.class_rank
    from prescriptions as p
    inner join drug_classes as c
        on p.drug_generic_name = c.drug_generic_name

)

select * from classified
