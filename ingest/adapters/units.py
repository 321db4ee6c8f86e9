"""The unit each named observation is stored in, and the source units converted to it.

The raw contract has no unit column: the name carries the unit (`weight_kg`, `height_cm`), `bmi` is
kg/m2 and the pain and questionnaire scores are unitless. A source value in another unit is converted
here, so a site weighing in pounds does not load 180 "kg" (and a BMI worked out from it downstream).

Source units are matched case-insensitively, as UCUM codes (the Unified Code for Units of Measure,
https://ucum.org/ucum, the unit system of LOINC, FHIR and OMOP's UCUM vocabulary) or a common plain
spelling. The factors are UCUM's own exact definitions: [lb_av] = 7000 [gr] = 453.59237 g,
[oz_av] = [lb_av]/16 = 28.349523125 g, [in_i] = 2.54 cm, [ft_i] = 12 [in_i], [in_us] = [ft_us]/12
with [ft_us] = 1200/3937 m. A unit not listed for a name is rejected by the adapters, not guessed.
"""

from __future__ import annotations

from collections.abc import Mapping

_KG = 1.0
_LB = 0.45359237  # kg per [lb_av]
_OZ = _LB / 16  # kg per [oz_av]
_IN = 2.54  # cm per [in_i]
_IN_US = 120000 / 3937 / 12  # cm per [in_us]

_WEIGHT: Mapping[str, float] = {
    **dict.fromkeys(("kg", "kilogram", "kilograms", "kgs"), _KG),
    **dict.fromkeys(("g", "gram", "grams"), 0.001),
    **dict.fromkeys(("[lb_av]", "lb", "lbs", "pound", "pounds"), _LB),
    **dict.fromkeys(("[oz_av]", "oz", "ounce", "ounces"), _OZ),
}
_LENGTH: Mapping[str, float] = {
    **dict.fromkeys(("cm", "centimeter", "centimeters", "centimetre", "centimetres"), 1.0),
    **dict.fromkeys(("m", "meter", "meters", "metre", "metres"), 100.0),
    **dict.fromkeys(("mm", "millimeter", "millimeters", "millimetre", "millimetres"), 0.1),
    **dict.fromkeys(("[in_i]", "in", "inch", "inches"), _IN),
    "[in_us]": _IN_US,
    **dict.fromkeys(("[ft_i]", "ft", "foot", "feet"), 12 * _IN),
}
_BMI: Mapping[str, float] = dict.fromkeys(("kg/m2", "kg/m^2", "kg/m²"), 1.0)
# Scores are unitless (UCUM '1'); '{score}' is how LOINC and Synthea write it. A score on another
# scale (a 0-100 mm VAS, a T-score) is not the 0-10 or questionnaire total these names mean.
_SCORE: Mapping[str, float] = dict.fromkeys(
    ("{score}", "{scores}", "score", "scores", "{points}", "points", "1"), 1.0
)

# lumbar observation name (ingest/adapters/mappings.py LOINC_NAMES) -> (its unit, source unit -> factor)
UNITS: Mapping[str, tuple[str, Mapping[str, float]]] = {
    "weight_kg": ("kg", _WEIGHT),
    "height_cm": ("cm", _LENGTH),
    "bmi": ("kg/m2", _BMI),
    "pain_nrs": ("{score}", {**_SCORE, "/10": 1.0}),  # '/10' is how charts often write a 0-10 score
    "phq2": ("{score}", _SCORE),
    "phq9": ("{score}", _SCORE),
    "gad7": ("{score}", _SCORE),
}

# OMOP unit concepts read without a CONCEPT table (and no unit_source_value): the contract's own units,
# ids as in the OHDSI vocabulary (UCUM concepts; checked against the Synthea27Nj sample's CONCEPT.csv).
# Any other unit concept id then stays unresolved and its rows are rejected, not guessed.
OMOP_UNIT_CONCEPTS: Mapping[str, str] = {"9529": "kg", "8582": "cm", "9531": "kg/m2"}


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def unit_text_sql(unit: str) -> str:
    """The source unit as matched: trimmed and lower-cased, empty read as absent."""
    return f"nullif(lower(trim({unit})), '')"


def factor_sql(name: str, unit: str) -> str:
    """SQL: the factor taking a value in `unit` to `name`'s unit; null when the unit is absent or not
    one listed for that name, and for names without a unit."""
    u = unit_text_sql(unit)
    whens = []
    for obs, (_, factors) in UNITS.items():
        inner = " ".join(f"when {_quote(k)} then cast({v!r} as double)" for k, v in factors.items())
        whens.append(f"when {name} = {_quote(obs)} then (case {u} {inner} else null end)")
    return f"(case {' '.join(whens)} else null end)"


def has_unit_sql(name: str) -> str:
    """SQL: whether `name` is an observation whose value has a unit lumbar checks."""
    return f"({name} in ({', '.join(_quote(n) for n in UNITS)}))"


def unknown_unit_reason_sql(name: str, unit: str, columns: str) -> str:
    """SQL: a reject reason naming the source columns, the unit as written (cut to 20 characters) and
    the unit the name needs; never the value."""
    shown = f"left(replace(trim({unit}), '''', ''), 20)"
    wanted = " ".join(f"when {_quote(obs)} then {_quote(unit_of)}" for obs, (unit_of, _) in UNITS.items())
    head = _quote(f"{columns}: unit '")
    tail = _quote("' is not one lumbar converts to ")
    return f"({head} || {shown} || {tail} || (case {name} {wanted} end) || ' for ' || {name})"
