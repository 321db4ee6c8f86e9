-- Prior spinal surgery = med_exclusion_codes' prior_spinal_surgery rows + every ref_decompression_px_codes code
-- (int_medication_coded_events). A code on both lists would be a stale copy and would match each procedure
-- record twice. Fails with the codes on both.
with

exclusions as (

    select code, code_system from {{ ref('med_exclusion_codes') }}

),

decompression as (

    select code, code_system from {{ ref('ref_decompression_px_codes') }}

),

on_both as (

    select e.code, e.code_system
    from exclusions as e
    inner join decompression as d
        on e.code = d.code
        and e.code_system = d.code_system

)

select * from on_both
