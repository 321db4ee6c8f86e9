{# Fails with every group of `group_by` columns whose number of distinct `column_name` values is not `n`. #}
{% test distinct_count_per_group(model, column_name, group_by, n) %}
    select {{ group_by | join(', ') }}, count(distinct {{ column_name }}) as n_distinct
    from {{ model }}
    group by {{ group_by | join(', ') }}
    having count(distinct {{ column_name }}) <> {{ n }}
{% endtest %}
