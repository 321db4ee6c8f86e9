-- Within each outcome class, exactly round(n x medication_split_test_fraction) patients are test.
select outcome, count(*) as n, sum(case when split = 'test' then 1 else 0 end) as n_test
from {{ ref('cohort_medication') }}
group by outcome
having sum(case when split = 'test' then 1 else 0 end) <> round(count(*) * {{ var('medication_split_test_fraction') }})
