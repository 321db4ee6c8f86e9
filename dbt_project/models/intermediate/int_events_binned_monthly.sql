{#
  Diagnosis (ICD-9 level 3), procedure (CPT/HCPCS) and drug (generic name) events in the
  feature_n_bins x feature_bin_days days before each patient's index date, assigned to monthly bins
  ("the last three months ... binned into one month intervals", 000_dc58a6666935e68a.txt).
  Bin n_bins (3) holds days 1..30 before index, bin 1 days 61..90; the index day itself is never a feature.
  Every indexed patient has exactly n_bins bins: a bin spine is left-joined to the events, so an empty bin
  is one row with null feature_type / feature and n_events = 0 ("we added empty bins").
  n_events = number of distinct days in the bin on which the feature was recorded.
#}
{%- set n_bins = var('feature_n_bins') | int -%}
{%- set bin_days = var('feature_bin_days') | int -%}
with

index_dates as (

    select patient_id, index_date from {{ ref('int_index_imaging') }}

),

bin_numbers as (

    {#- generate_series computes numbers with power(), a double on Spark: cast so bin is an integer everywhere -#}
    select cast(generated_number as {{ dbt.type_bigint() }}) as generated_number
    from ({{ dbt.generate_series(n_bins) }}) as series

),

bin_spine as (

    select
        i.patient_id,
        i.index_date,
        b.generated_number as bin,
        {{ dbt.dateadd('day', '-(' ~ n_bins ~ ' - b.generated_number + 1) * ' ~ bin_days, 'i.index_date') }}
            as bin_start_date,
        {{ dbt.dateadd('day', '-((' ~ n_bins ~ ' - b.generated_number) * ' ~ bin_days ~ ' + 1)', 'i.index_date') }}
            as bin_end_date
    from index_dates as i
    cross join bin_numbers as b

),

events as (

    select patient_id, dx_date as event_date, 'dx' as feature_type, icd9_level3 as feature
    from {{ ref('int_diagnoses_icd9_level3') }}

    union all

    select patient_id, px_date as event_date, 'px' as feature_type, code as feature
    from {{ ref('int_procedures_cpt_hcpcs') }}

    union all

    select patient_id, rx_date as event_date, 'rx' as feature_type, drug_generic_name as feature
    from {{ ref('int_prescriptions_normalised') }}

),

events_before_index as (

    select
        e.patient_id,
        e.event_date,
        e.feature_type,
        e.feature,
        {{ days_between('e.event_date', 'i.index_date') }} as days_before_index
    from events as e
    inner join index_dates as i
        on e.patient_id = i.patient_id
    where e.event_date < i.index_date
      and e.event_date >= {{ dbt.dateadd('day', -(n_bins * bin_days), 'i.index_date') }}

),

events_per_bin as (

    select
        patient_id,
        {{ n_bins }} - cast(floor((days_before_index - 1) / {{ bin_days }}.0) as integer) as bin,
        feature_type,
        feature,
        count(distinct event_date) as n_events
    from events_before_index
    group by 1, 2, 3, 4

),

binned as (

    select
        s.patient_id,
        s.index_date,
        s.bin,
        s.bin_start_date,
        s.bin_end_date,
        e.feature_type,
        e.feature,
        coalesce(e.n_events, 0) as n_events
    from bin_spine as s
    left join events_per_bin as e
        on s.patient_id = e.patient_id
        and s.bin = e.bin

)

select * from binned
