{#
  One row per distinct generic drug name in the prescriptions, with its medication-study class
  (004_8aea355467337d34.txt, Fig. 1(b): none < NSAID < opioid). The name is int_prescriptions_normalised's
  generic name (dose strings and forms removed, brands mapped by ref_drug_brand_generic); its class is the most
  potent of (a) that model's class from ref_drug_names and (b) every med_drug_class_terms word found in the name
  as a whole word, so combinations take their most potent ingredient ("hydrocodone/ibuprofen" is an opioid,
  "ketorolac tromethamine" an NSAID). Names matched by neither are class none with is_mapped false and are listed
  in dq_medication_unmapped_drug_names.
#}
with

prescriptions as (

    select * from {{ ref('int_prescriptions_normalised') }}

),

terms as (

    select * from {{ ref('med_drug_class_terms') }}

),

names as (

    select
        drug_generic_name,
        max(case drug_class when 'opioid' then 2 when 'nsaid' then 1 else 0 end) as reference_class_rank,
        count(*) as n_orders,
        count(distinct patient_id) as n_patients
    from prescriptions
    group by drug_generic_name

),

padded as (

    -- words separated by single spaces with a space at each end, so a term matches only a whole word
    select
        drug_generic_name,
        {{ dbt.concat(["' '", regexp_replace_all('drug_generic_name', '[^a-z0-9#]+', ' '), "' '"]) }} as padded_name
    from names

),

term_matches as (

    select
        p.drug_generic_name,
        max(case t.drug_class when 'opioid' then 2 when 'nsaid' then 1 else 0 end) as term_class_rank,
        count(*) as n_terms_matched
    from padded as p
    inner join terms as t
        on p.padded_name like {{ dbt.concat(["'% '", 't.term', "' %'"]) }}
    group by p.drug_generic_name

),

classified as (

    select
        n.drug_generic_name,
        case
            when n.reference_class_rank >= coalesce(m.term_class_rank, 0) then n.reference_class_rank
            else m.term_class_rank
        end as class_rank,
        (m.drug_generic_name is not null or n.reference_class_rank > 0) as is_mapped,
        n.n_orders,
        n.n_patients
    from names as n
    left join term_matches as m
        on n.drug_generic_name = m.drug_generic_name

),

named as (

    select
        drug_generic_name,
        case class_rank when 2 then 'opioid' when 1 then 'nsaid' else 'none' end as drug_class,
        cast(class_rank as {{ dbt.type_int() }}) as class_rank,
        is_mapped,
        n_orders,
        n_patients
    from classified

)

select * from named
