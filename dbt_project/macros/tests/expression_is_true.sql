{#
  Fails with every row for which `expression` is not true (null counts as failure).
  Optional `where` limits the rows checked. Usable at model or column level (column_name is ignored).
#}
{% test expression_is_true(model, expression, where=none, column_name=none) %}
    select *
    from {{ model }}
    where not coalesce(({{ expression }}), false)
    {%- if where %} and ({{ where }}){% endif %}
{% endtest %}
