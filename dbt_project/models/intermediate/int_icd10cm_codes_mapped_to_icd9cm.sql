{#
  Code-level ICD-10-CM -> ICD-9-CM map for every ICD-10-CM code present in the data.
  Exact GEM match first; otherwise the nearest parent: strip trailing characters until a GEM code exists
  (M48.061 -> M48.06, M54.50 -> M54.5; the GEM predates FY2018 codes). A code whose nearest GEM entry is
  flagged no_map stays unmapped. Unmapped codes are listed in dq_unmapped_icd10.
#}
with

icd10_codes_in_data as (

    select distinct code as icd10cm_code
    from {{ ref('stg_ehr__diagnoses') }}
    where code_system = 'ICD10CM'

),

gem as (

    select * from {{ ref('ref_icd10cm_to_icd9cm_gem') }}

),

gem_codes as (

    select distinct icd10cm_code as gem_code from gem

),

prefix_lengths as (

    {{ dbt.generate_series(8) }}

),

candidate_prefixes as (

    select
        c.icd10cm_code,
        p.generated_number as prefix_length,
        substr(c.icd10cm_code, 1, p.generated_number) as prefix
    from icd10_codes_in_data as c
    inner join prefix_lengths as p
        on p.generated_number between 3 and {{ dbt.length('c.icd10cm_code') }}

),

nearest_gem_code as (

    select
        cp.icd10cm_code,
        max(cp.prefix_length) as prefix_length
    from candidate_prefixes as cp
    inner join gem_codes as g
        on cp.prefix = g.gem_code
    group by cp.icd10cm_code

),

mapped as (

    select
        n.icd10cm_code,
        cp.prefix as gem_icd10cm_code,
        case
            when n.prefix_length = {{ dbt.length('n.icd10cm_code') }} then 'gem_exact'
            else 'gem_parent'
        end as mapping_method,
        gem.icd9cm_code,
        -- a combination code lists the same ICD-9 target once per scenario / choice list: keep one row
        max(gem.approximate) = 1 as is_approximate,
        max(gem.combination) = 1 as is_combination
    from nearest_gem_code as n
    inner join candidate_prefixes as cp
        on n.icd10cm_code = cp.icd10cm_code
        and n.prefix_length = cp.prefix_length
    inner join gem
        on cp.prefix = gem.icd10cm_code
    where gem.no_map = 0
    group by n.icd10cm_code, n.prefix_length, cp.prefix, gem.icd9cm_code

)

select * from mapped
