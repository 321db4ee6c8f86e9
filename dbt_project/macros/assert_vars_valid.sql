{#-
    Stops a run before any model is built when a var holds a value no study can mean: a negative or
    century-long window, a test fraction of 1.5, a date that does not exist, a window that ends before it
    starts. dbt itself accepts any value, so without this a typo such as `surgery_early_window_days: -30`
    builds empty cohorts (or, with `lumbar build`, is caught only by a data test after the marts were
    written). Runs as an on-run-start hook, so plain `dbt build` checks the same rules as `lumbar build`.
    A var added to dbt_project.yml gets its rule here.
-#}
{% macro assert_vars_valid() %}
    {%- set max_days = 36500 -%}
    {%- set problems = [] -%}

    {#- name: smallest allowed; every window is also at most max_days (100 years) -#}
    {%- set day_vars = {
        'ldh_lss_lookback_days': 1,
        'surgery_early_window_days': 1,
        'surgery_late_gap_days': 0,
        'surgery_late_window_days': 1,
        'feature_bin_days': 1,
        'stratification_image_window_days': 0,
        'stratification_covariate_window_days': 0,
        'injection_indication_lookback_days': 0,
        'injection_baseline_max_days_before': 0,
        'injection_followup_target_days': 1,
        'injection_followup_min_days': 1,
        'injection_followup_max_days': 1,
        'injection_mri_max_days_before': 0,
        'injection_min_symptom_days': 0,
        'medication_lbp_lookback_days': 0,
        'medication_outcome_days': 1,
        'medication_feature_days_after_index': 0,
    } -%}
    {%- for name, low in day_vars.items() -%}
        {%- do _check_whole(problems, name, var(name, none), low, max_days, 'a whole number of days') -%}
    {%- endfor -%}

    {%- set count_vars = {
        'ldh_lss_min_codes': [1, 1000],
        'feature_n_bins': [1, 1200],
        'feature_temporal_min_train_patients': [1, 1000000000],
        'orebro_max_missing_items': [0, 10],
        'orebro_high_risk_cutoff': [0, 100],
        'stratification_outcome_min_frequency': [0, 4],
        'stratification_outcome_min_bothersomeness': [0, 10],
        'injection_responder_min_percent': [1, 100],
        'injection_mcid_nrs_points': [1, 10],
        'medication_obesity_min_bmi': [10, 80],
        'medication_minimum_age': [0, 120],
        'dq_max_age_years': [1, 150],
        'split_seed': [0, 4294967295],
        'injection_split_seed': [0, 4294967295],
        'medication_split_seed': [0, 4294967295],
    } -%}
    {%- for name, bounds in count_vars.items() -%}
        {%- do _check_whole(problems, name, var(name, none), bounds[0], bounds[1], 'a whole number') -%}
    {%- endfor -%}

    {%- for name in ['split_test_fraction', 'injection_split_test_fraction', 'medication_split_test_fraction'] -%}
        {%- set value = var(name, none) -%}
        {%- if value is not none and not (_is_number(value) and 0 < value < 1) -%}
            {%- do problems.append(name ~ ' must be a fraction between 0 and 1, both excluded (got ' ~ value ~ ')') -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set rare = var('feature_rare_threshold', none) -%}
    {%- set common = var('feature_common_threshold', none) -%}
    {%- if rare is not none and not (_is_number(rare) and 0 <= rare < 1) -%}
        {%- do problems.append('feature_rare_threshold must be at least 0 and below 1 (got ' ~ rare ~ ')') -%}
    {%- elif common is not none and not (_is_number(common) and rare < common <= 1) -%}
        {%- do problems.append('feature_common_threshold must be above feature_rare_threshold and at most 1 (got ' ~ common ~ ')') -%}
    {%- endif -%}

    {%- for start, end in [['index_window_start', 'index_window_end'], ['medication_index_start', 'medication_index_end']] -%}
        {%- set ok_start = _check_date(problems, start, var(start, none)) -%}
        {%- set ok_end = _check_date(problems, end, var(end, none)) -%}
        {%- if ok_start and ok_end and (var(start) | string) > (var(end) | string) -%}
            {%- do problems.append(end ~ ' (' ~ var(end) ~ ') is before ' ~ start ~ ' (' ~ var(start) ~ ')') -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do _check_date(problems, 'icd10_effective_date', var('icd10_effective_date', none)) -%}

    {%- set low = var('injection_followup_min_days', none) -%}
    {%- set target = var('injection_followup_target_days', none) -%}
    {%- set high = var('injection_followup_max_days', none) -%}
    {%- if _is_number(low) and _is_number(target) and _is_number(high) and not (low <= target <= high) -%}
        {%- do problems.append('the injection follow-up needs injection_followup_min_days <= injection_followup_target_days <= injection_followup_max_days (got ' ~ low ~ ', ' ~ target ~ ', ' ~ high ~ ')') -%}
    {%- endif -%}

    {%- set chronic = var('injection_min_symptom_days', none) -%}
    {%- set lookback = var('injection_indication_lookback_days', none) -%}
    {%- if _is_number(chronic) and _is_number(lookback) and chronic > lookback -%}
        {%- do problems.append('injection_min_symptom_days (' ~ chronic ~ ') is longer than injection_indication_lookback_days (' ~ lookback ~ '): no code can be both') -%}
    {%- endif -%}

    {#- imaging vars: the values staging writes (modality upper case, body region lower case, as the raw contract,
        ingest/contract.py, allows); a value outside them, such as 'mri', would select no image and empty the cohort -#}
    {%- set modalities, body_regions = ['XR', 'MRI', 'CT'], ['lumbar', 'thoracic', 'other'] -%}
    {%- set imaging_values = {
        'index_modalities': modalities,
        'index_same_day_modality_order': modalities,
        'index_body_regions': body_regions,
        'stratification_image_modalities': modalities,
        'stratification_image_body_regions': body_regions,
        'injection_image_modalities': modalities,
        'injection_image_body_regions': body_regions,
        'medication_index_modalities': modalities,
        'medication_index_body_regions': body_regions,
    } -%}
    {%- for name in imaging_values.keys() | list + ['stratification_levels', 'injection_tfesi_cpt_codes'] -%}
        {%- set value = var(name, none) -%}
        {%- if value is not none and (value is string or value is not iterable or value | length == 0) -%}
            {%- do problems.append(name ~ ' must be a non-empty list (got ' ~ value ~ ')') -%}
        {%- elif value is not none and name in imaging_values -%}
            {%- set unknown = value | reject('in', imaging_values[name]) | list -%}
            {%- if unknown -%}
                {%- do problems.append(name ~ ' may hold only ' ~ imaging_values[name] | join(', ') ~ ' (got ' ~ unknown | join(', ') ~ ')') -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}

    {%- if problems -%}
        {{ exceptions.raise_compiler_error('invalid dbt vars: ' ~ problems | join('; ')) }}
    {%- endif -%}
{% endmacro %}


{% macro _is_number(value) -%}
    {{- return(value is number and value is not boolean) -}}
{%- endmacro %}


{% macro _check_whole(problems, name, value, low, high, what) -%}
    {%- if value is not none and not (_is_number(value) and value == value | int and low <= value <= high) -%}
        {%- do problems.append(name ~ ' must be ' ~ what ~ ' from ' ~ low ~ ' to ' ~ high ~ ' (got ' ~ value ~ ')') -%}
    {%- endif -%}
{%- endmacro %}


{% macro _check_date(problems, name, value) -%}
    {#- True when `value` is a real calendar date written YYYY-MM-DD -#}
    {%- if value is none -%}
        {{- return(false) -}}
    {%- endif -%}
    {%- set text = value | string -%}
    {%- set match = modules.re.fullmatch('([0-9]{4})-([0-9]{2})-([0-9]{2})', text) -%}
    {%- if match -%}
        {%- set year, month, day = match.group(1) | int, match.group(2) | int, match.group(3) | int -%}
        {%- set leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 -%}
        {%- set month_days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] -%}
        {%- if 1900 <= year <= 2999 and 1 <= month <= 12 and 1 <= day <= month_days[month - 1] -%}
            {{- return(true) -}}
        {%- endif -%}
    {%- endif -%}
    {%- do problems.append(name ~ " must be a date written YYYY-MM-DD between 1900 and 2999 (got '" ~ text ~ "')") -%}
    {{- return(false) -}}
{%- endmacro %}
