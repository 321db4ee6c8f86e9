"""OMOP CDM 5.4 (or 5.3) -> raw contract.

Input is a folder of CSV/Parquet files (one per table, any case: PERSON.csv, person.parquet, ...)
or a DuckDB database holding the CDM. Codes are recovered in this order: the source concept
(`*_source_concept_id`, through CONCEPT), the source value when it has the shape of an ICD/CPT/HCPCS
code, the concept in the standard slot (`*_concept_id`), the standard concept a non-standard one
'Maps to' (CONCEPT_RELATIONSHIP), and last a source value shaped like a SNOMED id. Without the
vocabulary tables only the source-value steps run, and the notes say so. README.md (Loading Synthea and OMOP data) has the
column-by-column mapping.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import duckdb

from ingest.adapters import mappings as m
from ingest.adapters import units
from ingest.adapters.common import (
    REJECT,
    ROW,
    AdapterResult,
    Spec,
    absent_optional_note,
    check_columns,
    counts_by_group,
    csv_dialect,
    find_tables,
    iso_date_sql,
    progress,
    read_as_text,
    read_header,
    split_mapped,
    sql_str,
    with_optional,
)
from ingest.errors import LumbarError
from ingest.fingerprint import sha256_of
from ingest.loading.encoding import fallback_encoding, latin1_warning
from ingest.loading.readers import csv_error

SPECS: dict[str, Spec] = {
    "person": Spec(
        ("person_id", "gender_concept_id", "year_of_birth"),
        optional=(
            "month_of_birth",
            "day_of_birth",
            "birth_datetime",
            "race_concept_id",
            "ethnicity_concept_id",
            "location_id",
            "provider_id",
            "care_site_id",
            "gender_source_value",
            "race_source_value",
            "ethnicity_source_value",
        ),
    ),
    "provider": Spec(
        ("provider_id",),
        optional=(
            "specialty_concept_id",
            "gender_concept_id",
            "specialty_source_value",
            "gender_source_value",
        ),
    ),
    "condition_occurrence": Spec(
        ("person_id", "condition_concept_id", "condition_start_date"),
        optional=("condition_source_value", "condition_source_concept_id"),
    ),
    "procedure_occurrence": Spec(
        ("person_id", "procedure_concept_id", "procedure_date"),
        optional=("procedure_source_value", "procedure_source_concept_id"),
    ),
    "drug_exposure": Spec(
        ("person_id", "drug_concept_id", "drug_exposure_start_date"),
        optional=("drug_source_value", "drug_source_concept_id"),
    ),
    "observation": Spec(
        ("person_id", "observation_concept_id", "observation_date"),
        optional=(
            "value_as_number",
            "value_as_string",
            "value_as_concept_id",
            "value_source_value",
            "observation_source_value",
            "observation_source_concept_id",
            "unit_concept_id",
            "unit_source_value",
        ),
    ),
    "measurement": Spec(
        ("person_id", "measurement_concept_id", "measurement_date"),
        optional=(
            "value_as_number",
            "value_as_string",
            "value_as_concept_id",
            "value_source_value",
            "measurement_source_value",
            "measurement_source_concept_id",
            "unit_concept_id",
            "unit_source_value",
        ),
    ),
    "note": Spec(
        ("note_id", "person_id", "note_date", "note_text"),
        optional=("note_title", "note_class_concept_id", "note_type_concept_id", "note_source_value"),
    ),
    # lookups: no raw rows of their own
    "death": Spec(("person_id", "death_date")),
    "care_site": Spec(("care_site_id",), optional=("care_site_name", "location_id")),
    "location": Spec(("location_id",), optional=("state",)),
    "cdm_source": Spec(("cdm_source_name",), optional=("cdm_source_abbreviation",)),
    # vocabulary: read streaming and filtered to the concepts the data use
    "concept": Spec(
        ("concept_id", "concept_name", "vocabulary_id", "concept_code"), optional=("standard_concept",)
    ),
    "concept_relationship": Spec(
        ("concept_id_1", "concept_id_2", "relationship_id"), optional=("invalid_reason",)
    ),
}
# Optional columns the shared mapping query reads that CDM 5.4 does not define for this table (so their
# absence is normal and not warned about).
NOT_IN_CDM: dict[str, tuple[str, ...]] = {"measurement": ("value_as_string",)}
# table -> contract table; every row of these is loaded or rejected
MAPPED: dict[str, str] = {
    "person": "patients",
    "provider": "providers",
    "condition_occurrence": "diagnoses",
    "procedure_occurrence": "procedures",
    "drug_exposure": "prescriptions",
    "observation": "observations",
    "measurement": "observations",
    "note": "imaging",
}
LOOKUPS = ("death", "care_site", "location", "cdm_source")
# observation is also looked up (patients.language), so an absent one is registered empty
VOCAB = ("concept", "concept_relationship")
OUT_OF_SCOPE = (
    "visit_occurrence",
    "visit_detail",
    "observation_period",
    "device_exposure",
    "specimen",
    "payer_plan_period",
    "cost",
    "condition_era",
    "drug_era",
    "dose_era",
    "episode",
    "episode_event",
    "fact_relationship",
    "note_nlp",
    "metadata",
    "cohort",
    "cohort_definition",
    "vocabulary",
    "domain",
    "concept_class",
    "concept_synonym",
    "concept_ancestor",
    "relationship",
    "drug_strength",
    "source_to_concept_map",
)
# concept id columns whose concepts the mapping looks up (the vocabulary is filtered to these)
CONCEPT_COLUMNS: dict[str, tuple[str, ...]] = {
    "person": ("race_concept_id", "ethnicity_concept_id"),
    "provider": ("specialty_concept_id",),
    "condition_occurrence": ("condition_concept_id", "condition_source_concept_id"),
    "procedure_occurrence": ("procedure_concept_id", "procedure_source_concept_id"),
    "drug_exposure": ("drug_concept_id", "drug_source_concept_id"),
    "observation": (
        "observation_concept_id",
        "observation_source_concept_id",
        "value_as_concept_id",
        "unit_concept_id",
    ),
    "measurement": (
        "measurement_concept_id",
        "measurement_source_concept_id",
        "value_as_concept_id",
        "unit_concept_id",
    ),
    "note": ("note_class_concept_id", "note_type_concept_id"),
}


def read_omop(path: Path) -> AdapterResult:
    """Map an OMOP CDM (folder of CSV/Parquet files, or a .duckdb file) into raw-contract tables."""
    path = Path(path)
    con = duckdb.connect()
    try:
        if path.is_dir():
            source: _Input = _FolderInput(path)
        elif path.is_file() and path.suffix.lower() in (".duckdb", ".db", ".ddb"):
            source = _DuckDBInput(path, con)
        else:
            raise LumbarError(
                f"{path}: not an OMOP CDM; pass a folder of CSV/Parquet files (PERSON.csv, ...) or a .duckdb file."
            )
        return _read(source, con)
    finally:
        con.close()


def _read(source: _Input, con: duckdb.DuckDBPyConnection) -> AdapterResult:
    if "person" not in source.headers:
        raise LumbarError(
            f"{source.where}: no person table; an OMOP CDM always has one. Is this the CDM's location?"
        )
    for name, header in source.headers.items():
        check_columns(source.label(name), header, SPECS[name].required, SPECS[name].one_of)

    notes: list[str] = [
        note
        for name, header in source.headers.items()
        if (note := absent_optional_note(source.label(name), header, SPECS[name], NOT_IN_CDM.get(name, ())))
        is not None
    ]
    # the loader reports missing tables itself; notes say what their absence costs
    missing = [name for name in (*MAPPED, *LOOKUPS, *VOCAB) if name not in source.headers]
    if source.out_of_scope:
        notes.append("not read (outside lumbar's raw contract): " + ", ".join(source.out_of_scope))

    read_counts: dict[str, int] = {}
    data_tables = [n for n in (*MAPPED, *LOOKUPS) if n in source.headers]
    with progress() as bar:
        task = bar.add_task("reading OMOP CDM", total=len(data_tables) + 1)
        for name in data_tables:
            rows = source.register(con, name)
            if name in MAPPED:
                read_counts[source.label(name)] = rows
            bar.advance(task)
        for name in (*LOOKUPS, "observation"):
            if name not in source.headers:
                _register_empty(con, name)
        try:
            has_concept, has_relationship = _build_vocabulary(con, source)
        except duckdb.Error as exc:
            # a vocabulary CSV that is not UTF-8: scanned again as Latin-1 if it holds no UTF-8 at all
            if "unicode" not in str(exc).lower() or not source.fall_back_to_latin1(VOCAB):
                raise _vocabulary_error(source, exc) from None
            try:
                has_concept, has_relationship = _build_vocabulary(con, source)
            except duckdb.Error as again:
                raise _vocabulary_error(source, again) from None
        bar.advance(task)
    notes.extend(source.notes)
    notes.extend(_vocabulary_notes(has_concept, has_relationship))

    sources, rejects = [], []
    for name, table in MAPPED.items():
        if name not in source.headers:
            continue
        sql = _BUILDERS[name](has_concept)
        mapped, bad = split_mapped(con, sql, table, source.label(name), source.file_hash(name))
        sources.append(mapped)
        rejects.extend(bad)
        if table == "observations":
            notes.extend(_observation_notes(con, name, source.label(name)))
    return AdapterResult(sources, rejects, read_counts, missing, notes)


# --- inputs -----------------------------------------------------------------------------------------


class _Input(Protocol):
    """Where the CDM tables come from; `register` makes each an all-text table `src_<name>` with __row."""

    where: str  # the path, for error messages
    headers: dict[str, list[str]]  # column names of each table lumbar reads that is present
    out_of_scope: list[str]  # present CDM tables lumbar does not read
    notes: list[str]  # what reading found (e.g. a file read as Latin-1)

    def label(self, name: str) -> str: ...

    def fall_back_to_latin1(self, names: tuple[str, ...]) -> bool:
        """After a scan failed on text that is not UTF-8: read those of `names` that hold no UTF-8 at all
        as Latin-1 from now on (True if any); a file mixing encodings is a LumbarError."""
        ...

    def file_hash(self, name: str) -> str: ...

    def register(self, con: duckdb.DuckDBPyConnection, name: str) -> int: ...

    def relation(self, name: str) -> str:
        """SQL naming the table for a streaming scan (vocabularies are too big to hold as text)."""
        ...


class _FolderInput:
    def __init__(self, folder: Path) -> None:
        self.where = str(folder)
        self.files = find_tables(folder, [*SPECS, *OUT_OF_SCOPE])
        self.headers = {n: read_header(p) for n, p in self.files.items() if n in SPECS}
        self.out_of_scope = sorted(n for n in self.files if n in OUT_OF_SCOPE)
        self.notes: list[str] = []
        self._hashes: dict[str, str] = {}
        self._encodings: dict[str, str] = {}

    def label(self, name: str) -> str:
        return str(self.files[name])

    def file_hash(self, name: str) -> str:
        if name not in self._hashes:
            self._hashes[name] = sha256_of(self.files[name])
        return self._hashes[name]

    def register(self, con: duckdb.DuckDBPyConnection, name: str) -> int:
        table = with_optional(read_as_text(self.files[name], self.notes), SPECS[name].optional)
        con.register(f"src_{name}", table)
        return table.num_rows

    def relation(self, name: str) -> str:
        path = self.files[name]
        quoted = "'" + str(path).replace("'", "''") + "'"
        if path.name.lower().endswith(".parquet"):
            return f"read_parquet({quoted})"
        _, _, quoting = csv_dialect(path)
        with_tab = not quoting
        dialect = "delim='\\t', quote='', escape=''" if with_tab else "delim=',', quote='\"'"
        encoding = self._encodings.get(name, "utf-8")
        return f"read_csv({quoted}, header=true, all_varchar=true, encoding='{encoding}', {dialect})"

    def fall_back_to_latin1(self, names: tuple[str, ...]) -> bool:
        changed = False
        for name in names:
            path = self.files.get(name)
            if path is None or path.name.lower().endswith(".parquet") or name in self._encodings:
                continue
            self._encodings[name] = fallback_encoding(path)
            if self._encodings[name] == "latin-1":
                self.notes.append(latin1_warning(path))
                changed = True
        return changed


class _DuckDBInput:
    """A CDM inside a DuckDB file: tables are found in the schema that holds `person`."""

    def __init__(self, path: Path, con: duckdb.DuckDBPyConnection) -> None:
        self.where = str(path)
        self.path = path
        try:
            con.execute(f"attach '{_escape(str(path))}' as omop_src (read_only)")
        except duckdb.Error as exc:
            first = str(exc).splitlines()[0]
            raise LumbarError(
                f"{path}: cannot open as a DuckDB database ({first}); close other programs using it."
            ) from None
        listed = con.sql(
            "select schema_name, lower(table_name), false from duckdb_tables() where database_name = 'omop_src' "
            "union all select schema_name, lower(view_name), true from duckdb_views() "
            "where database_name = 'omop_src' and not internal"
        ).fetchall()
        schemas = sorted({s for s, t, _ in listed if t == "person"})
        if len(schemas) > 1:
            raise LumbarError(
                f"{path}: several schemas hold a person table ({', '.join(schemas)}); "
                "keep one CDM per database file."
            )
        cdm = schemas[0] if schemas else "main"
        vocab_schemas = sorted({s for s, t, _ in listed if t == "concept"})
        vocab = cdm if cdm in vocab_schemas or not vocab_schemas else vocab_schemas[0]
        self.where_is: dict[str, tuple[str, str, bool]] = {}
        for schema, table, is_view in listed:
            wanted = vocab if table in VOCAB else cdm
            if schema == wanted:
                self.where_is[table] = (schema, table, is_view)
        self.headers = {}
        for name, (schema, table, _) in self.where_is.items():
            if name in SPECS:
                self.headers[name] = [
                    r[0]
                    for r in con.execute(
                        "select column_name from duckdb_columns() where database_name = 'omop_src' "
                        "and schema_name = ? and lower(table_name) = ? order by column_index",
                        [schema, table],
                    ).fetchall()
                ]
        self.out_of_scope = sorted(n for n in self.where_is if n in OUT_OF_SCOPE)
        self.notes: list[str] = []
        self._hash: str | None = None

    def label(self, name: str) -> str:
        schema, table, _ = self.where_is[name]
        return f"{self.path}:{schema}.{table}"

    def file_hash(self, name: str) -> str:
        # one hash for the whole database file: any change to it reloads every table from it
        if self._hash is None:
            self._hash = sha256_of(self.path)
        return self._hash

    def fall_back_to_latin1(self, names: tuple[str, ...]) -> bool:
        return False  # text in a DuckDB database is always UTF-8

    def relation(self, name: str) -> str:
        schema, table, _ = self.where_is[name]
        return f'omop_src."{schema}"."{table}"'

    def register(self, con: duckdb.DuckDBPyConnection, name: str) -> int:
        header = self.headers[name]
        have = {c.lower() for c in header}
        columns = [f'cast("{c}" as varchar) as "{c}"' for c in header]
        columns += [f'null::varchar as "{c}"' for c in SPECS[name].optional if c.lower() not in have]
        _, _, is_view = self.where_is[name]
        # tables keep insertion order in rowid, so reject row numbers point at stable rows
        row = "row_number() over ()" if is_view else "rowid + 1"
        con.execute(
            f"create temp table src_{name} as select {', '.join(columns)}, {row} as {ROW} from {self.relation(name)}"
        )
        return con.execute(f"select count(*) from src_{name}").fetchone()[0]


def _escape(text: str) -> str:
    return text.replace("'", "''")


def _register_empty(con: duckdb.DuckDBPyConnection, name: str) -> None:
    spec = SPECS[name]
    columns = ", ".join(f'null::varchar as "{c}"' for c in (*spec.required, *spec.optional))
    con.execute(f"create temp table src_{name} as select {columns}, 0::bigint as {ROW} where false")


# --- vocabulary -------------------------------------------------------------------------------------


def _cid(expr: str) -> str:
    # cast first: vocabulary tables scanned from Parquet or DuckDB keep their own column types
    return f"try_cast(nullif(trim(cast({expr} as varchar)), '') as bigint)"


def _build_vocabulary(con: duckdb.DuckDBPyConnection, source: _Input) -> tuple[bool, bool]:
    """Create `concept` and `maps_to`, filtered to the concept ids the data use (empty when absent)."""
    used = [
        f"select {_cid(col)} as id from src_{table}"
        for table, cols in CONCEPT_COLUMNS.items()
        if table in source.headers
        for col in cols
    ]
    con.execute(
        "create or replace temp table used_ids as select distinct id from ("
        + " union all ".join(used)
        + ") where id is not null and id <> 0"
    )
    has_relationship = "concept_relationship" in source.headers
    if has_relationship:
        have = {c.lower() for c in source.headers["concept_relationship"]}
        valid = "and coalesce(cast(invalid_reason as varchar), '') = ''" if "invalid_reason" in have else ""
        con.execute(
            f"""create or replace temp table maps_to as
                select c1, min(c2) as c2 from (
                    select {_cid("concept_id_1")} as c1, {_cid("concept_id_2")} as c2
                    from {source.relation("concept_relationship")}
                    where cast(relationship_id as varchar) = 'Maps to' {valid})
                where c1 in (select id from used_ids) and c1 <> c2
                group by c1"""
        )
    else:
        con.execute("create or replace temp table maps_to (c1 bigint, c2 bigint)")
    has_concept = "concept" in source.headers
    if has_concept:
        have = {c.lower() for c in source.headers["concept"]}
        standard = "cast(standard_concept as varchar)" if "standard_concept" in have else "null::varchar"
        con.execute(
            f"""create or replace temp table concept as
                select concept_id, min(concept_name) as concept_name, min(vocabulary_id) as vocabulary_id,
                       min(concept_code) as concept_code, min(standard_concept) as standard_concept
                from (select {_cid("concept_id")} as concept_id, cast(concept_name as varchar) as concept_name,
                             cast(vocabulary_id as varchar) as vocabulary_id,
                             trim(cast(concept_code as varchar)) as concept_code, {standard} as standard_concept
                      from {source.relation("concept")})
                where concept_id in (select id from used_ids union select c2 from maps_to)
                group by concept_id"""
        )
    else:
        con.execute(
            "create or replace temp table concept (concept_id bigint, concept_name varchar, vocabulary_id varchar, "
            "concept_code varchar, standard_concept varchar)"
        )
    return has_concept, has_relationship


def _vocabulary_error(source: _Input, exc: duckdb.Error) -> LumbarError:
    """A one-line error naming the vocabulary file DuckDB could not scan (never its rows)."""
    labels = [source.label(n) for n in VOCAB if n in source.headers]
    named = [label for label in labels if label in str(exc)]
    return csv_error(", ".join(named or labels), exc)


def _vocabulary_notes(has_concept: bool, has_relationship: bool) -> list[str]:
    notes = []
    if not has_concept:
        notes.append(
            "no CONCEPT table: codes come from *_source_value by shape only (standard SNOMED concepts and "
            "source concept ids cannot be resolved); race, ethnicity, specialty, drug and observation names "
            "are source values; rxnorm_code only where drug_source_value looks like an RxNorm id"
        )
    if not has_relationship:
        notes.append(
            "no CONCEPT_RELATIONSHIP table: non-standard concepts in *_concept_id cannot be followed "
            "('Maps to') to their standard SNOMED concept"
        )
    return notes


# --- mapping queries --------------------------------------------------------------------------------


def _gender(concept: str, value: str) -> str:
    by_value = (
        f"case upper(trim({value})) when 'M' then 'M' when 'MALE' then 'M' when 'F' then 'F' "
        "when 'FEMALE' then 'F' end"
    )
    return f"coalesce({m.case_map(f'trim({concept})', m.OMOP_GENDER)}, {by_value})"


def _text(expr: str) -> str:
    return f"nullif(trim({expr}), '')"


def _person_sql(_: bool) -> str:
    """Site: the person's care site name, else the state of their (or their care site's) location,
    else the CDM source abbreviation. Language: the latest answer to LOINC 54899-0 in OBSERVATION. Birth date from birth_datetime, else year/month/day with a
    missing month read as July and a missing day as the 1st."""
    year, month, day = (
        f"try_cast(trim(p.{c}) as integer)" for c in ("year_of_birth", "month_of_birth", "day_of_birth")
    )
    built = f"case when {year} is not null then printf('%04d-%02d-%02d', {year}, coalesce({month}, 7), coalesce({day}, 1)) end"
    return f"""
        with death as (select trim(person_id) as pid, min({iso_date_sql("death_date")}) as death_date
                       from src_death group by 1),
             site as (select trim(care_site_id) as id, min({_text("care_site_name")}) as name,
                             min(trim(location_id)) as location_id from src_care_site group by 1),
             loc as (select trim(location_id) as id, min({_text("state")}) as state from src_location group by 1),
             lang as (select trim(o.person_id) as pid,
                             coalesce({_text("o.value_as_string")}, vc.concept_name, {_text("o.value_source_value")})
                                 as language,
                             row_number() over (partition by trim(o.person_id)
                                                order by {iso_date_sql("o.observation_date")} desc, o.{ROW} desc) as k
                      from src_observation o
                      left join concept vc on vc.concept_id = {_cid("o.value_as_concept_id")}
                      where trim(o.observation_source_value) = {sql_str(m.LANGUAGE_LOINC)}
                        and coalesce({_text("o.value_as_string")}, vc.concept_name,
                                     {_text("o.value_source_value")}) is not null),
             cdm as (select coalesce(min({_text("cdm_source_abbreviation")}), min({_text("cdm_source_name")})) as name
                     from src_cdm_source)
        select p.{ROW}, trim(p.person_id) as patient_id,
               coalesce({iso_date_sql("p.birth_datetime")}, {built}) as birth_date,
               coalesce({_gender("p.gender_concept_id", "p.gender_source_value")}, 'U') as sex,
               coalesce(rc.concept_name, {_text("p.race_source_value")}) as race,
               coalesce(ec.concept_name, {_text("p.ethnicity_source_value")}) as ethnicity,
               coalesce(s.name, sl.state, pl.state, (select name from cdm), 'omop') as site,
               d.death_date, {_text("p.provider_id")} as pcp_provider_id, lg.language,
               null::varchar as {REJECT}
        from src_person p
        left join concept rc on rc.concept_id = {_cid("p.race_concept_id")}
        left join concept ec on ec.concept_id = {_cid("p.ethnicity_concept_id")}
        left join site s on s.id = trim(p.care_site_id)
        left join loc sl on sl.id = s.location_id
        left join loc pl on pl.id = trim(p.location_id)
        left join death d on d.pid = trim(p.person_id)
        left join lang lg on lg.pid = trim(p.person_id) and lg.k = 1
        order by p.{ROW}"""


def _provider_sql(_: bool) -> str:
    specialty = f"coalesce(sc.concept_name, {_text('p.specialty_source_value')})"
    return f"""
        select p.{ROW}, trim(p.provider_id) as provider_id,
               {_gender("p.gender_concept_id", "p.gender_source_value")} as gender,
               {m.case_patterns(specialty, m.CLINICIAN_TYPE_PATTERNS)} as clinician_type,
               {specialty} as specialty, null::varchar as {REJECT}
        from src_provider p left join concept sc on sc.concept_id = {_cid("p.specialty_concept_id")}
        order by p.{ROW}"""


@dataclass(frozen=True)
class _Coded:
    table: str  # OMOP table
    prefix: str  # column prefix: condition, procedure
    date_col: str
    date_name: str  # contract date column
    vocabs: dict[str, str]  # vocabulary_id -> contract code system
    value_system: Callable[[str, str], str]  # (code, date) SQL -> system a source value's shape suggests
    source_value_first: tuple[str, ...]  # systems a source value wins with over the standard concept
    allowed: str


def _coded_sql(spec: _Coded, has_concept: bool) -> str:
    p = spec.prefix
    date = iso_date_sql(f"s.{spec.date_col}")
    value = f"trim(s.{p}_source_value)"
    value_system = spec.value_system(value, date)
    first = ", ".join(f"'{x}'" for x in spec.source_value_first)
    source_sys = m.case_map("sc.vocabulary_id", spec.vocabs)
    slot_sys = m.case_map("c.vocabulary_id", spec.vocabs)
    mapped_sys = m.case_map("mc.vocabulary_id", spec.vocabs)
    # a non-standard concept in the standard slot (an ETL left e.g. a Read code there) is followed
    # 'Maps to' its standard concept; a standard one, or one without a map, is used as it is
    standard = "c.standard_concept = 'S'"
    system = f"""case when {source_sys} is not null then {source_sys}
                      when vs in ({first}) then vs
                      when {slot_sys} is not null and {standard} then {slot_sys}
                      when {mapped_sys} is not null then {mapped_sys}
                      when {slot_sys} is not null then {slot_sys}
                      else vs end"""
    code = f"""case when {source_sys} is not null then sc.concept_code
                    when vs in ({first}) then {value}
                    when {slot_sys} is not null and {standard} then c.concept_code
                    when {mapped_sys} is not null then mc.concept_code
                    when {slot_sys} is not null then c.concept_code
                    when vs is not null then {value} end"""
    why = "" if has_concept else "; no CONCEPT table to resolve the concept ids"
    reason = f"{p}_source_concept_id, {p}_source_value, {p}_concept_id: no {spec.allowed} code found{why}"
    return f"""
        with s as (select *, {value_system} as vs from src_{spec.table} s)
        select s.{ROW}, trim(s.person_id) as patient_id, {date} as {spec.date_name},
               {code} as code, {system} as code_system,
               case when ({system}) is null then '{reason}' end as {REJECT}
        from s
        left join concept sc on sc.concept_id = {_cid(f"s.{p}_source_concept_id")}
        left join concept c on c.concept_id = {_cid(f"s.{p}_concept_id")}
        left join maps_to mt on mt.c1 = c.concept_id and coalesce(c.standard_concept, '') <> 'S'
        left join concept mc on mc.concept_id = mt.c2
        order by s.{ROW}"""


_CONDITIONS = _Coded(
    "condition_occurrence",
    "condition",
    "condition_start_date",
    "dx_date",
    dict(m.OMOP_DX_VOCABS),
    m.dx_system_from_value_sql,
    ("ICD9CM", "ICD10CM"),
    "ICD-9-CM, ICD-10-CM or SNOMED",
)
_PROCEDURES = _Coded(
    "procedure_occurrence",
    "procedure",
    "procedure_date",
    "px_date",
    dict(m.OMOP_PX_VOCABS),
    lambda code, _date: m.px_system_from_value_sql(code),
    ("CPT", "HCPCS", "ICD9PCS", "ICD10PCS"),
    "CPT, HCPCS, ICD-9/ICD-10 procedure or SNOMED",
)


def _drug_sql(_: bool) -> str:
    """drug_name: the source value when it reads as a name (has a letter), else the concept's name;
    rxnorm_code: the RxNorm concept code, else a source value shaped like an RxNorm id (1-7 digits)."""
    value = _text("d.drug_source_value")
    name = (
        f"case when regexp_matches({value}, '[A-Za-z]') then {value} "
        f"else coalesce(dc.concept_name, sc.concept_name, {value}) end"
    )
    rxnorm = (
        "case when dc.vocabulary_id = 'RxNorm' then dc.concept_code "
        "when sc.vocabulary_id = 'RxNorm' then sc.concept_code "
        f"when regexp_full_match({value}, '[0-9]{{1,7}}') then {value} end"
    )
    return f"""
        select d.{ROW}, trim(d.person_id) as patient_id, {iso_date_sql("d.drug_exposure_start_date")} as rx_date,
               {name} as drug_name, {rxnorm} as rxnorm_code,
               case when ({name}) is null
                    then 'drug_concept_id, drug_source_value: no drug name (concept unresolved, source value empty)'
               end as {REJECT}
        from src_drug_exposure d
        left join concept dc on dc.concept_id = {_cid("d.drug_concept_id")}
        left join concept sc on sc.concept_id = {_cid("d.drug_source_concept_id")}
        order by d.{ROW}"""


def _observation_cte(table: str) -> str:
    """Known LOINC codes get lumbar names (as for Synthea); others keep the concept name, else the
    source value. value_num from value_as_number, converted from its unit for named observations
    with one (ingest/adapters/units.py); otherwise value_text from the string, value concept or value
    source value. The unit: a UCUM unit concept, else unit_source_value, else the concept's name."""
    value = _text("o.{t}_source_value").format(t=table)
    loinc = (
        f"case when regexp_full_match({value}, '[0-9]{{1,7}}-[0-9]') then {value} "
        "when sc.vocabulary_id = 'LOINC' then sc.concept_code when c.vocabulary_id = 'LOINC' then c.concept_code end"
    )
    name = f"coalesce({m.case_map(loinc, m.LOINC_NAMES)}, c.concept_name, sc.concept_name, {value})"
    number = "try_cast(trim(o.value_as_number) as double)"
    text = f"coalesce({_text('o.value_as_string')}, vc.concept_name, {_text('o.value_source_value')})"
    unit_id = f"nullif({_cid('o.unit_concept_id')}, 0)"
    unit = (
        f"coalesce(case when uc.vocabulary_id = 'UCUM' then uc.concept_code end, {_text('o.unit_source_value')}, "
        f"uc.concept_name, {m.case_map(f'cast({unit_id} as varchar)', units.OMOP_UNIT_CONCEPTS)}, "
        f"'concept ' || cast({unit_id} as varchar))"
    )
    return f"""
        with s as (
            select o.{ROW}, trim(o.person_id) as patient_id, {iso_date_sql(f"o.{table}_date")} as obs_date,
                   {name} as name, {number} as number,
                   case when {number} is null then {text} end as value_text, {unit} as unit
            from src_{table} o
            left join concept c on c.concept_id = {_cid(f"o.{table}_concept_id")}
            left join concept sc on sc.concept_id = {_cid(f"o.{table}_source_concept_id")}
            left join concept vc on vc.concept_id = {_cid("o.value_as_concept_id")}
            left join concept uc on uc.concept_id = {unit_id}),
        u as (
            select *, {units.has_unit_sql("name")} and number is not null as unit_checked,
                   {units.unit_text_sql("unit")} is null as unit_missing, {units.factor_sql("name", "unit")} as factor
            from s)"""


def _observation_sql(table: str) -> str:
    return f"""{_observation_cte(table)}
        select {ROW}, patient_id, obs_date, name,
               case when unit_checked then number * coalesce(factor, 1) else number end as value_num,
               {m.answer_sql("name", "value_text")} as value_text,
               case when name is null
                    then '{table}_concept_id, {table}_source_value: no name (concept unresolved, source value empty)'
                    when unit_checked and not unit_missing and factor is null
                    then {units.unknown_unit_reason_sql("name", "unit", "unit_concept_id, unit_source_value")}
               end as {REJECT}
        from u order by {ROW}"""


def _observation_notes(con: duckdb.DuckDBPyConnection, table: str, label: str) -> list[str]:
    """Counts, per lumbar name (other names together), of rows loaded without any value and of numbers
    read in lumbar's unit because the row names no unit. Names and counts only, never patient rows."""
    named = list(dict.fromkeys(m.LOINC_NAMES.values()))
    group = f"case when name in ({', '.join(sql_str(n) for n in named)}) then name else 'other names' end"
    order = " ".join(f"when {sql_str(n)} then {i}" for i, n in enumerate(named))

    # one more scan of the (possibly very large) table for both counts: the flagged rows only, as a temp table
    valueless_sql = "name is not null and number is null and value_text is null"
    missing_sql = "unit_checked and unit_missing"
    con.execute(
        f"create or replace temp table _lumbar_obs_flags as {_observation_cte(table)} "
        f"select {group} as g, {valueless_sql} as valueless, coalesce({missing_sql}, false) as missing "
        f"from u where ({valueless_sql}) or ({missing_sql})"
    )

    def by_group(flag: str) -> str | None:
        return counts_by_group(
            con,
            f"select g, count(*) from _lumbar_obs_flags where {flag} "
            f"group by g order by (case g {order} else {len(named)} end)",
        )

    notes = []
    valueless = by_group("valueless")
    if valueless is not None:
        read = "value_as_number, value_as_concept_id, value_source_value" + (
            ", value_as_string" if table == "observation" else ""
        )
        notes.append(
            f"{label}: {valueless} have no value ({read} empty or unresolved); loaded as names only, "
            "with nothing for a study to read (a smoking row without its answer leaves smoking status empty)"
        )
    missing = by_group("missing")
    if missing is not None:
        notes.append(
            f"{label}: {missing} have no unit (unit_concept_id and unit_source_value empty); "
            "read as lumbar's unit (kg, cm, kg/m2, score)"
        )
    con.execute("drop table _lumbar_obs_flags")
    return notes


def _note_sql(_: bool) -> str:
    """Radiology notes become imaging rows with their report text. A note is a radiology report when
    its title, source value or class/type concept name says so; modality and body region come from the
    title, else from the first lines of the report (its exam heading)."""
    radiology, other = sql_str(m.RADIOLOGY_NOTE_PATTERN), sql_str(m.OTHER_MODALITY_PATTERN)
    modality = f"coalesce({m.case_patterns('title', m.MODALITY_PATTERNS)}, {m.case_patterns('head', m.MODALITY_PATTERNS)})"
    region = (
        f"coalesce({m.case_patterns('title', m.BODY_REGION_PATTERNS)}, "
        f"{m.case_patterns('head', m.BODY_REGION_PATTERNS)}, 'other')"
    )
    return f"""
        with n as (
            select n.*, lower(concat_ws(' ', n.note_title, n.note_source_value)) as title,
                   lower(concat_ws(' ', cc.concept_name, tc.concept_name)) as kind,
                   lower(left(n.note_text, {m.REPORT_HEAD_CHARS})) as head
            from src_note n
            left join concept cc on cc.concept_id = {_cid("n.note_class_concept_id")}
            left join concept tc on tc.concept_id = {_cid("n.note_type_concept_id")}),
        r as (
            select *, regexp_matches(title || ' ' || kind, {radiology}) or regexp_matches(title, {other})
                          as is_radiology,
                   {modality} as found_modality,
                   regexp_matches(title || ' ' || coalesce(head, ''), {other}) as other_modality
            from n)
        select {ROW}, trim(note_id) as image_id, trim(person_id) as patient_id,
               {iso_date_sql("note_date")} as image_date,
               case when is_radiology then found_modality end as modality,
               {region} as body_region, note_text as report_text,
               case when not is_radiology then 'note_title, note_class_concept_id: not a radiology report'
                    when found_modality is null and other_modality
                    then 'note_title: imaging other than X-ray, MRI or CT'
                    when found_modality is null
                    then 'note_title, note_text: radiology report naming no X-ray, MRI or CT modality'
               end as {REJECT}
        from r order by {ROW}"""


_BUILDERS = {
    "person": _person_sql,
    "provider": _provider_sql,
    "condition_occurrence": lambda has_concept: _coded_sql(_CONDITIONS, has_concept),
    "procedure_occurrence": lambda has_concept: _coded_sql(_PROCEDURES, has_concept),
    "drug_exposure": _drug_sql,
    "observation": lambda _: _observation_sql("observation"),
    "measurement": lambda _: _observation_sql("measurement"),
    "note": _note_sql,
}
