{#
  Deterministic stratified train/test split (select list fragment + window): within each value of
  `strata`, patients are ordered by md5(patient_id | split_seed) and the first
  round(n * split_test_fraction) go to test. Same data + same seed = same split on every engine.
#}
{% macro split_column(strata='label', key='patient_id') -%}
    case
        when row_number() over (
                partition by {{ strata }}
                order by {{ stable_hash([key, dbt.string_literal(var('split_seed') | string)]) }}, {{ key }}
            ) <= round(count(*) over (partition by {{ strata }}) * {{ var('split_test_fraction') }})
            then 'test'
        else 'train'
    end
{%- endmacro %}
