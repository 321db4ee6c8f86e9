"""The medication predictor sets follow paper 004's grouping of the patient profile."""

from models_py.featurize.profile import CHART_DIAGNOSES, DATATYPES, PROFILE_COLUMNS, PSYCHOSOCIAL


def test_history_of_anxiety_or_depression_is_psychosocial_not_a_chart_diagnosis():
    # 004, Results: "psychosocial determinants (... history of anxiety or depression)"; its chart diagnoses list
    # none. The mart folds the codes into negative_psych_state (unit test in _medication_marts__models.yml).
    assert "negative_psych_state" in PSYCHOSOCIAL
    assert "anxiety_depression" not in PROFILE_COLUMNS
    assert "negative_psych_state" in DATATYPES["tabular_psychosocial"]
    assert "negative_psych_state" not in DATATYPES["tabular_diagnoses"]
    assert not set(PSYCHOSOCIAL) & set(CHART_DIAGNOSES)
