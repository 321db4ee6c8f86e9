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


{# Age in completed years on `on_date`: the year difference, minus one when that year's birthday has not come
   yet. Days / 365.25 is a day off around birthdays (born 2002-01-01 gives 0 on 2003-01-01). #}
{% macro completed_years(birth_date, on_date) -%}
    cast({{ dbt.datediff(birth_date, on_date, 'year') }}
        - case
            when extract(month from {{ on_date }}) < extract(month from {{ birth_date }})
                or (extract(month from {{ on_date }}) = extract(month from {{ birth_date }})
                    and extract(day from {{ on_date }}) < extract(day from {{ birth_date }}))
                then 1
            else 0
        end as {{ dbt.type_int() }})
{%- endmacro %}
