"""The multimodal network: shapes per modality, learning, determinism, grid search."""

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from models_py.models.mdl import GRIDS, Grid, MDLClassifier, MDLInputs, MDLNet, grid_search


def _inputs(n=400, seed=0):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.25).astype(int)
    tokens = rng.integers(2, 30, size=(n, 12))
    tokens[y == 1, 4] = 31  # planted signal word
    tokens[:, 10:] = 0  # padding
    temporal = (rng.random((n, 3, 6)) < 0.2).astype(np.float32)
    temporal[y == 1, 2, 0] = 1.0  # planted recent code
    static = rng.normal(size=(n, 4)).astype(np.float32)
    embedding = rng.normal(0, 0.3, size=(32, 8)).astype(np.float32)
    embedding[0] = 0
    return MDLInputs(tokens=tokens, temporal=temporal, static=static), y, embedding


@pytest.mark.parametrize(
    "modalities", [("text", "temporal", "static"), ("text",), ("temporal",), ("static",)]
)
def test_forward_gives_two_logits_for_every_modality_set(modalities):
    X, _, embedding = _inputs(n=5)
    net = MDLNet(
        modalities=modalities,
        embedding=embedding,
        n_temporal_features=6,
        n_static_features=4,
        n_filters=4,
        kernel_size=3,
        temporal_embed_dim=5,
        gru_hidden=3,
        fc_hidden=7,
        dropout=0.1,
    )
    inputs = {
        "tokens": torch.as_tensor(X.tokens),
        "temporal": torch.as_tensor(X.temporal),
        "static": torch.as_tensor(X.static),
    }
    assert net(**inputs).shape == (5, 2)


def _small(embedding, **kw):
    return MDLClassifier(
        embedding=embedding,
        n_filters=8,
        temporal_embed_dim=8,
        gru_hidden=8,
        fc_hidden=8,
        epochs=8,
        batch_size=32,
        lr=5e-3,
        device="cpu",
        **kw,
    )


def test_network_learns_planted_signal_and_is_deterministic():
    X, y, embedding = _inputs()
    tr, va = np.arange(0, 320), np.arange(320, 400)
    a = _small(embedding).fit(X.take(tr), y[tr], X.take(va), y[va])
    b = _small(embedding).fit(X.take(tr), y[tr], X.take(va), y[va])
    proba = a.predict_proba(X.take(va))[:, 1]
    assert roc_auc_score(y[va], proba) > 0.8
    assert np.array_equal(proba, b.predict_proba(X.take(va))[:, 1])
    assert a.best_val_loss_ == min(h["val_loss"] for h in a.history_)
    # fine-tuned: the text embedding moved away from its word2vec initialisation
    assert not np.allclose(a.net_.embedding.weight.detach().numpy(), embedding)


def test_grid_search_keeps_the_lowest_validation_loss(tmp_path):
    X, y, embedding = _inputs()
    grid = Grid(
        n_filters=(4,), lr=(1e-4, 1e-2), dropout=(0.2,), gru_hidden=(4,), weight_decay=(0.0,), epochs=3
    )
    result = grid_search(X, y, grid, base=_small(embedding, modalities=("temporal", "static")), seed=0)
    losses = [row["best_val_loss"] for row in result.table]
    assert len(losses) == 2 and result.best.best_val_loss_ == min(losses)
    assert set(result.train_idx).isdisjoint(result.val_idx) and len(result.val_idx) == 80
    result.best.save(tmp_path / "m.pt")
    saved = torch.load(tmp_path / "m.pt", weights_only=False)
    assert "head.0.weight" in saved["state_dict"] and saved["params"]["modalities"] == ["temporal", "static"]


def test_grids_are_documented():
    assert 2 <= len(GRIDS["small"].combos()) <= 4
    assert GRIDS["paper"].epochs == 30 and len(GRIDS["paper"].combos()) > len(GRIDS["small"].combos())
