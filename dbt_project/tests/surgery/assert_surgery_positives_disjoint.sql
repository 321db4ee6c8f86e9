-- "There was no overlap of patients with early and late decompression surgery": no patient is positive in both.
select e.patient_id
from {{ ref('cohort_surgery_early') }} as e
inner join {{ ref('cohort_surgery_late') }} as l
    on e.patient_id = l.patient_id
where e.label = 1
  and l.label = 1
