{#
  Report text cleaning shared by every report mart (paper: "converting it to lowercase, removing
  punctuation, removing extra whitespace"). Punctuation becomes a space so that "L4-L5" -> "l4 l5" and
  "disc/osteophyte" -> "disc osteophyte" rather than fusing words. Stop-word removal and stemming are left to
  the Python featuriser (they need nltk).
#}
{% macro clean_report_text(expr) -%}
    {#- one pass: every run of non-alphanumerics (punctuation and whitespace alike) becomes one space -#}
    trim({{ regexp_replace_all('lower(' ~ expr ~ ')', '[^a-z0-9]+', ' ') }})
{%- endmacro %}
