-- Leakage: the outcome class's first order is on or after the index day and within medication_outcome_days;
-- and no order of a class above the outcome falls inside the window. Fails with offending patients.
with

cohort as (

    select * from {{ ref('cohort_medication') }}

),

orders as (

    select * from {{ ref('int_medication_prescriptions_classified') }}

),

first_order_outside_window as (

    select patient_id
    from cohort
    where outcome <> 'none'
      and (outcome_rx_date < index_date
           or outcome_rx_date > {{ dbt.dateadd('day', var('medication_outcome_days'), 'index_date') }})

),

more_potent_order_in_window as (

    select c.patient_id
    from cohort as c
    inner join orders as o
        on c.patient_id = o.patient_id
    where o.class_rank > c.outcome_class_rank
      and o.rx_date >= c.index_date
      and o.rx_date <= {{ dbt.dateadd('day', var('medication_outcome_days'), 'c.index_date') }}

)

select patient_id from first_order_outside_window
union all
select patient_id from more_potent_order_in_window
