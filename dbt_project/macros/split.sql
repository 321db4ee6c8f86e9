{#
  Deterministic stratified train/test split (select list fragment + window): within each value of
  `strata`, patients are ordered by md5(patient_id | split_seed) and the first
  round(n * split_test_fraction) go to test. Same data + same seed = same split on every engine.
  A study with its own split parameters names its vars: split_column('outcome', seed_var='medication_split_seed',
  fraction_var='medication_split_test_fraction').
#}
{% macro split_column(strata='label', key='patient_id', seed_var='split_seed', fraction_var='split_test_fraction') -%}
    case
        when row_number() over (
                partition by {{ strata }}
                order by {{ stable_hash([key, dbt.string_literal(var(seed_var) | string)]) }}, {{ key }}
            ) <= round(count(*) over (partition by {{ strata }}) * {{ var(fraction_var) }})
            then 'test'
        else 'train'
    end
{%- endmacro %}
