{#
  Fails with one row per duplicated key when the combination of `combination_of_columns` is not unique.
  Usage (model level):
    data_tests:
      - unique_combination_of_columns:
          arguments: {combination_of_columns: [task, patient_id]}
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    {%- set columns_csv = combination_of_columns | join(', ') %}
    select {{ columns_csv }}, count(*) as n_rows
    from {{ model }}
    group by {{ columns_csv }}
    having count(*) > 1
{% endtest %}
