{#
  Free-text drug order names to two normalised forms (staging; no join):

  drug_name_clean(expr):      lower case, single spaces, trimmed: "IBUPROFEN  800 MG TAB" -> "ibuprofen 800 mg tab".
  drug_ingredient_name(expr): the ingredient-level name: dose strings (any token starting with a digit),
                              units, dose forms, release modifiers and salts removed; combination separators
                              ("-", " and ", " with ", " / ") written as "/":
                              "Hydrocodone-Acetaminophen 5-325 MG Oral Tablet" -> "hydrocodone/acetaminophen",
                              "Oxycodone HCl ER 20 mg" -> "oxycodone", "norco 10/325" -> "norco".
  Brand names ("norco") become generics in int_prescriptions_normalised through the ref_drug_brand_generic seed.
#}



{% macro drug_name_clean(expr) -%}
    trim({{ regexp_replace_all('lower(' ~ expr ~ ')', '\\s+', ' ') }})
{%- endmacro %}

{% macro drug_ingredient_name(expr) -%}
    {#- units, dose forms, routes, devices and release modifiers: never part of the ingredient -#}
    {%- set drug_noise_words = [
        'mg', 'mcg', 'g', 'gm', 'ml', 'meq', 'unit', 'units', 'iu', 'hr', 'actuat', 'act',
        'tab', 'tabs', 'tablet', 'tablets', 'cap', 'caps', 'capsule', 'capsules', 'oral', 'po',
        'er', 'xr', 'sr', 'cr', 'dr', 'ir', 'xl', 'ec', 'odt', 'hfa', 'extended', 'release', 'delayed', 'immediate',
        'solution', 'soln', 'susp', 'suspension', 'liquid', 'syrup', 'elixir', 'injection', 'inj', 'injectable',
        'patch', 'transdermal', 'system', 'topical', 'cream', 'gel', 'ointment', 'oint', 'lotion', 'film', 'coated',
        'chewable', 'disintegrating', 'nasal', 'spray', 'inhaler', 'inhalation', 'ophthalmic', 'drops', 'powder',
        'metered', 'dose', 'dosepak', 'pack', 'for', 'kit', 'vial', 'take', 'by', 'mouth', 'daily', 'prn'
    ] -%}
    {#- salt and ester names after the ingredient ("amlodipine besylate"); never the first word, so
        "potassium chloride" keeps "potassium" (ref_drug_brand_generic restores the full name) -#}
    {%- set drug_salt_words = [
        'hcl', 'hbr', 'hydrochloride', 'sodium', 'potassium', 'calcium', 'magnesium', 'bitartrate', 'sulfate', 'bisulfate',
        'tartrate', 'citrate', 'phosphate', 'chloride', 'hyclate', 'oxalate', 'besylate', 'monohydrate',
        'tromethamine', 'acetonide', 'fumarate', 'succinate', 'propionate', 'maleate', 'mesylate', 'hydrobromide',
        'acetate', 'dipropionate', 'valerate', 'furoate', 'sulfonate', 'bromide'
    ] -%}
    {%- set noise = '\\b(' ~ drug_noise_words | join('|') ~ ')\\b' -%}
    {%- set salts = '\\s(' ~ drug_salt_words | join('|') ~ ')\\b' -%}
    {%- set s = 'lower(' ~ expr ~ ')' -%}
    {#- brackets and list punctuation are separators -#}
    {%- set s = regexp_replace_all(s, '[()\\[\\],;:%]', ' ') -%}
    {#- "x and y", "x with y", "x w/ y" are combinations -#}
    {%- set s = regexp_replace_all(s, '\\s+(and|with|w/)\\s+', '/') -%}
    {#- dose strings: every token that starts with a digit or a decimal point (800, 5-325, 10/325, 20mg, .5%) -#}
    {%- set s = regexp_replace_all(s, '(^|\\s)[.]?[0-9]\\S*', ' ') -%}
    {#- compound units first, so "mcg/hr" does not leave a "/" that reads as a combination -#}
    {%- set s = regexp_replace_all(s, '\\b(mg|mcg|g|gm|ml|meq|units?)/(ml|hr|h|actuat|act|dose|spray|g|l)\\b', ' ') -%}
    {%- set s = regexp_replace_all(s, noise, ' ') -%}
    {%- set s = regexp_replace_all(s, salts, ' ') -%}
    {#- combination separators -> "/" without spaces -#}
    {%- set s = regexp_replace_all(s, '-', '/') -%}
    {%- set s = regexp_replace_all(s, '\\s*/[\\s/]*', '/') -%}
    {%- set s = regexp_replace_all(s, '\\s+', ' ') -%}
    {%- set s = regexp_replace_all('trim(' ~ s ~ ')', '^/+|/+$', '') -%}
    trim({{ s }})
{%- endmacro %}
