{{ config(severity='warn', tags=['data_quality']) }}
-- Prescriptions whose drug name normalisation could not reduce to a clean ingredient name
-- (dq_drug_names_unmapped lists the names and why); one row per prescription.
select p.patient_id, p.rx_date
from {{ ref('int_prescriptions_normalised') }} as p
inner join {{ ref('dq_drug_names_unmapped') }} as u
    on coalesce(p.drug_generic_name, '') = u.drug_generic_name
