-- The split is stratified by label: within each task and label, exactly round(n x split_test_fraction)
-- patients are in test.
with

static as (

    select * from {{ ref('mart_surgery_static') }}

),

per_stratum as (

    select
        task,
        label,
        count(*) as n_patients,
        sum(case when split = 'test' then 1 else 0 end) as n_test
    from static
    group by task, label

)

select *
from per_stratum
where n_test <> round(n_patients * {{ var('split_test_fraction') }})
