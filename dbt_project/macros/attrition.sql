{#
  Attrition counts shared by the cohort attrition models: for every step, the patients of `relation` meeting
  the step's rule, per site and over all sites (site = 'all'). One select per step and site grouping, joined
  by `union all`; a step with no patients still yields its 'all' row (0).

  steps: a list of dicts {number, step, rule} plus one entry per name in `label_columns`, each holding a SQL
  expression for that column (e.g. {'cohort': "'early'"}).
#}
{% macro attrition_counts(relation, steps, label_columns=[]) -%}
    {%- for s in steps %}
    {%- set last_step = loop.last %}
    {%- for by_site in [true, false] %}
    select
        {%- for name in label_columns %}
        {{ s[name] }} as {{ name }},
        {%- endfor %}
        {{ 'site' if by_site else "'all'" }} as site,
        {{ s.number }} as step_number,
        {#- engines escape a quote inside a string literal differently ('' vs \') #}
        {{ dbt.string_literal(dbt.escape_single_quotes(s.step)) }} as step,
        cast(coalesce(sum(case when {{ s.rule }} then 1 else 0 end), 0) as {{ dbt.type_int() }}) as n_patients
    from {{ relation }}
    {{ 'group by site' if by_site }}
    {{ 'union all' if not (last_step and not by_site) }}
    {%- endfor %}
    {%- endfor %}
{%- endmacro %}
