"""The demo's LDH/LSS enrichment: more surgery-study patients, recorded in the card, validated."""

import pytest

from ingest.errors import LumbarError
from ingest.generate import generate


def test_enrichment_multiplies_the_ldh_group_and_is_recorded(tmp_path):
    base = generate(4000, 5, tmp_path / "base", progress=False)
    rich = generate(4000, 5, tmp_path / "rich", progress=False, ldh_enrichment=3.0)
    n_base = base["cohorts"]["ldh_lss"]["latent_group"]
    n_rich = rich["cohorts"]["ldh_lss"]["latent_group"]
    assert rich["ldh_enrichment"] == 3.0 and base["ldh_enrichment"] == 1.0
    assert 2.4 < n_rich / n_base < 3.6


@pytest.mark.parametrize("bad", [0.5, 1000.0])
def test_enrichment_out_of_range_is_a_user_error(tmp_path, bad):
    with pytest.raises(LumbarError, match="ldh-enrichment"):
        generate(1000, 1, tmp_path / "x", progress=False, ldh_enrichment=bad)
