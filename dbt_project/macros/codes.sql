{#
  Code normalisation shared by the staging models. Sources write codes with or without dots, in any case,
  sometimes prefixed with their system ("ICD10: M51.16", "CPT 63047"); code lists (seeds) hold the
  normalised form: upper case, letters and digits only.
#}
{% macro normalise_code(expr) -%}
    {#- Most codes only need upper case without dots, spaces or dashes (translate is cheap); the regular
        expressions run only for codes with a system prefix or other stray characters. -#}
    {%- set simple = "translate(upper(trim(" ~ expr ~ ")), '. -', '')" -%}
    case
        when {{ regexp_matches(simple, '^[A-Z0-9]*$') }} and upper(trim({{ expr }})) not like 'ICD%'
             and upper(trim({{ expr }})) not like 'CPT%' and upper(trim({{ expr }})) not like 'HCPCS%'
             and upper(trim({{ expr }})) not like 'SNOMED%'
            then {{ simple }}
        else {{ regexp_replace_all(
            regexp_replace_all(
                'upper(trim(' ~ expr ~ '))',
                '^(ICD-?10-?(CM|PCS)?|ICD-?9-?(CM|PCS)?|CPT-?4?|HCPCS|SNOMED-?(CT)?)[:= ]+',
                ''
            ),
            '[^A-Z0-9]',
            ''
        ) }}
    end
{%- endmacro %}

{# Source spellings of a code system ("ICD-10-CM", "icd10", "CPT4", "SNOMED CT") to the contract names. #}
{% macro normalise_code_system(expr) -%}
    {%- set cleaned = "translate(upper(trim(" ~ expr ~ ")), '-_ .', '')" -%}
    case {{ cleaned }}
        when 'ICD9' then 'ICD9CM'
        when 'ICD9CM' then 'ICD9CM'
        when 'ICD10' then 'ICD10CM'
        when 'ICD10CM' then 'ICD10CM'
        when 'ICD9PCS' then 'ICD9PCS'
        when 'ICD9PROC' then 'ICD9PCS'
        when 'ICD10PCS' then 'ICD10PCS'
        when 'CPT4' then 'CPT'
        when 'HCPCSII' then 'HCPCS'
        when 'HCPCSLEVELII' then 'HCPCS'
        when 'SNOMEDCT' then 'SNOMED'
        when 'SCT' then 'SNOMED'
        else {{ cleaned }}
    end
{%- endmacro %}

{#
  Dotted display form of a normalised code: ICD-10-CM after the third character (M5116 -> M51.16);
  ICD-9-CM after the third, or the fourth for E-codes (72210 -> 722.10, E8490 -> E849.0);
  ICD-9-CM procedures after the second (0309 -> 03.09). Other systems are shown as they are.
#}
{% macro code_display(code, code_system) -%}
    case
        when {{ code_system }} = 'ICD9CM' and {{ code }} like 'E%'
             and {{ dbt.length(code) }} > 4
            then {{ dbt.concat(["substr(" ~ code ~ ", 1, 4)", "'.'", "substr(" ~ code ~ ", 5)"]) }}
        when {{ code_system }} in ('ICD10CM', 'ICD9CM') and {{ dbt.length(code) }} > 3
            then {{ dbt.concat(["substr(" ~ code ~ ", 1, 3)", "'.'", "substr(" ~ code ~ ", 4)"]) }}
        when {{ code_system }} = 'ICD9PCS' and {{ dbt.length(code) }} > 2
            then {{ dbt.concat(["substr(" ~ code ~ ", 1, 2)", "'.'", "substr(" ~ code ~ ", 3)"]) }}
        else {{ code }}
    end
{%- endmacro %}
