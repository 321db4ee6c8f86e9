{#
  The ICD-9-CM and ICD-10-CM sides of each diagnosis code list describe the same patients, so a phenotype does
  not depend on the coding era (the surgery index window straddles the 2015-10-01 switch; the medication index
  range spans 2012-2024). Checked with the project's CMS GEM seed (ref_icd10cm_to_icd9cm_gem, ICD-10 -> ICD-9),
  within each scope = (code list, group):
    1. every ICD-9-CM row has at least one ICD-10-CM row in its scope that the GEM maps back to it
       (an ICD-9-era qualifier has an ICD-10-era counterpart: 721.42 needs M47.16);
    2. every ICD-10-CM row maps back to at least one ICD-9-CM row in its scope. A code newer than the GEM
       release (FY2018+: M48.061, M54.50) is looked up by its parent, the code it was split from (M48.06, M54.5).
  "At least one", not "every GEM pair": the GEM is many-to-many and reaches outside the lists' lumbar scope
  (724.02 also comes back from the M99.x3 biomechanical-lesion codes, 724.09 from sacral and other regions).
  GEM gaps known to be right are listed in gem_gaps with the reason. Fails with one row per code without a
  counterpart. Scope of med_chart_dx_groups: the spinal and radicular groups (LDH/LSS-type diagnoses); the
  other groups are not diagnoses of the spine.
#}
{%- set chart_groups = ['disc_pathology', 'spinal_stenosis', 'radiculopathy', 'sciatica', 'numbness_tingling',
                        'facet_joint_arthropathy', 'sacroiliac_joint'] -%}
with

code_lists as (

    select 'ref_ldh_lss_dx_codes' as code_list, {{ adapter.quote('group') }} as code_group, code, code_system
    from {{ ref('ref_ldh_lss_dx_codes') }}
    union all
    select 'med_lbp_dx_codes' as code_list, {{ adapter.quote('group') }} as code_group, code, code_system
    from {{ ref('med_lbp_dx_codes') }}
    union all
    select 'med_chart_dx_groups' as code_list, {{ adapter.quote('group') }} as code_group, code, code_system
    from {{ ref('med_chart_dx_groups') }}
    where {{ adapter.quote('group') }} in {{ sql_string_list(chart_groups) }}

),

gem_gaps as (

    -- 722.2 (disc displacement, site unspecified): no ICD-10-CM code maps back to it; the forward GEM sends it
    -- to M51.9, an unspecified disorder (not a displacement) that also covers thoracic discs, so it is not added
    select '7222' as code, 'ICD9CM' as code_system
    union all
    -- 724.03 (lumbar stenosis with neurogenic claudication): its FY2016-FY2017 counterpart M48.06 (forward
    -- GEM) maps back to 724.02 only, and its FY2018 counterpart M48.062 is newer than the GEM
    select '72403' as code, 'ICD9CM' as code_system
    union all
    -- M51.16 / M51.17 (disc disorder with radiculopathy): ICD-9-CM coded this as 722.10 + 724.4, and the GEM
    -- maps the combination code back to 724.4 (radiculitis) alone; 722.10 is on the list
    select 'M5116' as code, 'ICD10CM' as code_system
    union all
    select 'M5117' as code, 'ICD10CM' as code_system

),

gem as (

    select icd10cm_code, icd9cm_code
    from {{ ref('ref_icd10cm_to_icd9cm_gem') }}
    where no_map = 0

),

gem_icd10_codes as (

    select distinct icd10cm_code from gem

),

icd10_rows as (

    -- the code itself when the GEM has it, else its parent (the code one character shorter)
    select
        l.code_list,
        l.code_group,
        l.code,
        case
            when g.icd10cm_code is not null then l.code
            else substr(l.code, 1, {{ dbt.length('l.code') }} - 1)
        end as gem_code
    from code_lists as l
    left join gem_icd10_codes as g
        on l.code = g.icd10cm_code
    where l.code_system = 'ICD10CM'

),

icd10_mapped_back as (

    select distinct
        r.code_list,
        r.code_group,
        r.code as icd10cm_code,
        g.icd9cm_code
    from icd10_rows as r
    inner join gem as g
        on r.gem_code = g.icd10cm_code

),

icd9_rows as (

    select * from code_lists where code_system = 'ICD9CM'

),

icd9_with_counterpart as (

    select distinct n.code_list, n.code_group, n.code
    from icd9_rows as n
    inner join icd10_mapped_back as m
        on n.code_list = m.code_list
        and n.code_group = m.code_group
        and n.code = m.icd9cm_code

),

icd10_with_counterpart as (

    select distinct m.code_list, m.code_group, m.icd10cm_code as code
    from icd10_mapped_back as m
    inner join icd9_rows as n
        on n.code_list = m.code_list
        and n.code_group = m.code_group
        and n.code = m.icd9cm_code

),

without_counterpart as (

    select n.code_list, n.code_group, n.code, n.code_system
    from icd9_rows as n
    left join icd9_with_counterpart as w
        on n.code_list = w.code_list
        and n.code_group = w.code_group
        and n.code = w.code
    where w.code is null
    union all
    select r.code_list, r.code_group, r.code, 'ICD10CM' as code_system
    from icd10_rows as r
    left join icd10_with_counterpart as w
        on r.code_list = w.code_list
        and r.code_group = w.code_group
        and r.code = w.code
    where w.code is null

),

unexplained as (

    select w.*
    from without_counterpart as w
    left join gem_gaps as k
        on w.code = k.code
        and w.code_system = k.code_system
    where k.code is null

)

select * from unexplained
