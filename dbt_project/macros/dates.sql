{# A date-valued var (ISO string such as "2013-10-01") as a typed date literal. #}
{% macro var_date(name) -%}
    {{ dbt.cast(dbt.string_literal(var(name)), api.Column.translate_type('date')) }}
{%- endmacro %}

{# Days from `start_date` to `end_date` (positive when end_date is later). #}
{% macro days_between(start_date, end_date) -%}
    {{ dbt.datediff(start_date, end_date, 'day') }}
{%- endmacro %}

{# A jinja list as an SQL list of string literals: ['XR', 'MRI'] -> ('XR', 'MRI'). #}
{% macro sql_string_list(values) -%}
    ({%- for v in values -%}{{ dbt.string_literal(v) }}{%- if not loop.last -%}, {% endif -%}{%- endfor -%})
{%- endmacro %}
