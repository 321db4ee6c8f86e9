{#
  Responder definitions shared by outcome models. Scores where lower is better (NRS-11, ODI, Zurich
  Claudication Questionnaire symptom severity / physical function) unless lower_is_better=false.

  responder_percent(baseline, followup, min_percent): improvement of at least min_percent % of baseline
  (exactly min_percent counts: 8 -> 4 is a 50 % responder). Compared in cross-multiplied form so integer
  scores hit the edge exactly, with no floating-point division. Null when either score is null or the
  baseline is 0 (nothing to reduce).

  responder_mcid(baseline, followup, mcid): improvement of at least the minimal clinically important
  difference in score units (e.g. 2 NRS points; 0.5 points on a ZCQ scale). Null when either score is null.
#}
{% macro responder_percent(baseline, followup, min_percent, lower_is_better=true) -%}
    case
        when {{ baseline }} is null or {{ followup }} is null or {{ baseline }} = 0 then null
        else {{ responder_improvement(baseline, followup, lower_is_better) }} * 100 >= {{ min_percent }} * abs({{ baseline }})
    end
{%- endmacro %}

{% macro responder_mcid(baseline, followup, mcid, lower_is_better=true) -%}
    case
        when {{ baseline }} is null or {{ followup }} is null then null
        else {{ responder_improvement(baseline, followup, lower_is_better) }} >= {{ mcid }}
    end
{%- endmacro %}

{% macro responder_improvement(baseline, followup, lower_is_better) -%}
    {%- if lower_is_better -%}({{ baseline }} - {{ followup }}){%- else -%}({{ followup }} - {{ baseline }}){%- endif -%}
{%- endmacro %}
