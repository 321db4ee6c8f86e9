{#
  Fails with every row of the model whose `columns` combination has no match in `to` (a ref),
  matched on `to_columns` (defaults to the same names). A multi-column relationships test.
#}
{% test all_rows_in(model, columns, to, to_columns=none) %}
    {%- set to_columns = to_columns or columns %}
    select m.*
    from {{ model }} as m
    left join {{ to }} as t
        on {% for c in columns %}m.{{ c }} = t.{{ to_columns[loop.index0] }}{% if not loop.last %} and {% endif %}{% endfor %}
    where t.{{ to_columns[0] }} is null
{% endtest %}
