"""The multimodal network: shapes per modality, learning, determinism, grid search."""

import numpy as np
import pytest
import torch
from sklearn.metrics import f1_score, roc_auc_score

from models_py.models.mdl import GRIDS, Grid, MDLClassifier, MDLInputs, MDLNet, f1_threshold, grid_search


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


@pytest.mark.parametrize("fc_hidden", [None, 7])
@pytest.mark.parametrize(
    "modalities", [("text", "temporal", "static"), ("text",), ("temporal",), ("static",)]
)
def test_forward_gives_two_logits_for_every_modality_set(modalities, fc_hidden):
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
        fc_hidden=fc_hidden,
        dropout=0.1,
    )
    inputs = {
        "tokens": torch.as_tensor(X.tokens),
        "temporal": torch.as_tensor(X.temporal),
        "static": torch.as_tensor(X.static),
    }
    assert net(**inputs).shape == (5, 2)


def test_default_network_has_the_papers_two_fully_connected_layers():
    """Paper 000: "1-layer CNN, 1-layer GRU, and two 1-layer Fully-Connected (FC)" -- the temporal embedding
    FC and the prediction FC, with dropout on the prediction FC's input."""
    X, y, embedding = _inputs(n=40)
    model = MDLClassifier(embedding=embedding, n_filters=4, gru_hidden=4, temporal_embed_dim=4, epochs=1)
    net = model.fit(X, y, X, y).net_
    linears = [name for name, m in net.named_modules() if isinstance(m, torch.nn.Linear)]
    assert linears == ["bin_embed", "head.1"]
    assert isinstance(net.head[0], torch.nn.Dropout) and net.head[0].p == model.dropout
    assert net.head[1].in_features == 4 + 4 + X.static.shape[1]  # CNN filters + GRU hidden + demographics
    # the hidden-layer variant exists only on request
    wide = MDLClassifier(embedding=embedding, n_filters=4, gru_hidden=4, temporal_embed_dim=4, fc_hidden=5)
    net = wide.set_params(epochs=1).fit(X, y, X, y).net_
    assert [n for n, m in net.named_modules() if isinstance(m, torch.nn.Linear)] == [
        "bin_embed",
        "head.0",
        "head.3",
    ]


def test_torch_plateau_with_patience_zero_cuts_at_the_first_epoch_that_does_not_improve():
    """What the default scheduler_patience=0 means in this torch: no waiting epoch."""
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=0)
    lrs = []
    for val_loss in (1.0, 0.9, 0.95, 0.8, 0.85):
        scheduler.step(val_loss)
        lrs.append(optimizer.param_groups[0]["lr"])
    assert lrs == [1.0, 1.0, 0.5, 0.5, 0.25]


def test_learning_rate_is_halved_after_every_epoch_whose_validation_loss_does_not_improve():
    """Paper 000 decreases the learning rate "when the validation loss increased": the epoch it happens,
    not one epoch later (patience=1 waited for a second non-improving epoch)."""
    X, y, embedding = _inputs()
    tr, va = np.arange(0, 320), np.arange(320, 400)
    model = _small(embedding, lr=5e-2, epochs=10).fit(X.take(tr), y[tr], X.take(va), y[va])
    best, lr, worse = float("inf"), model.lr, 0
    for row in model.history_:
        improved = row["val_loss"] < best * (1 - 1e-4)  # torch's default relative threshold
        lr = lr if improved else lr * 0.5
        worse += not improved
        best = min(best, row["val_loss"])
        assert row["lr"] == pytest.approx(lr), row
    assert worse >= 1  # the run had an epoch to cut at, so the test checked something


def _small(embedding, **kw):
    settings = {
        "n_filters": 8,
        "temporal_embed_dim": 8,
        "gru_hidden": 8,
        "epochs": 8,
        "batch_size": 32,
        "lr": 5e-3,
        "device": "cpu",
        **kw,
    }
    return MDLClassifier(embedding=embedding, **settings)


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
    val_score = result.best.predict_proba(X.take(result.val_idx))[:, 1]
    assert result.best.threshold_ == f1_threshold(y[result.val_idx], val_score)
    assert [row["threshold"] for row in result.table].count(result.best.threshold_) >= 1
    result.best.save(tmp_path / "m.pt")
    saved = torch.load(tmp_path / "m.pt", weights_only=False)
    assert "head.1.weight" in saved["state_dict"] and saved["params"]["modalities"] == ["temporal", "static"]


def test_grids_are_documented():
    assert 2 <= len(GRIDS["small"].combos()) <= 4
    assert GRIDS["paper"].epochs == 30 and len(GRIDS["paper"].combos()) > len(GRIDS["small"].combos())


def test_f1_threshold_matches_a_brute_force_search():
    rng = np.random.default_rng(1)
    y = (rng.random(200) < 0.3).astype(int)
    score = np.round(np.clip(0.3 * y + rng.random(200) * 0.7, 0, 1), 2)  # rounded: many equal scores
    best = f1_threshold(y, score)
    f1 = {t: f1_score(y, score >= t) for t in np.unique(score)}
    top = max(f1.values())
    assert f1[best] == pytest.approx(top)
    assert best == max(t for t, v in f1.items() if v == pytest.approx(top))  # ties -> higher threshold


def test_f1_threshold_ties_go_to_the_higher_threshold_and_no_positives_keep_the_default():
    # thresholds 0.9 and 0.6 both give F1 = 2/3 (1 TP 0 FP 1 FN vs 2 TP 2 FP 0 FN)
    assert f1_threshold([1, 0, 0, 1], [0.9, 0.8, 0.7, 0.6]) == 0.9
    assert f1_threshold([0, 0, 0], [0.2, 0.7, 0.4]) == 0.5


def test_threshold_is_chosen_on_validation_rows_and_predict_uses_it():
    X, y, embedding = _inputs()
    tr, va, te = np.arange(0, 240), np.arange(240, 320), np.arange(320, 400)
    model = _small(embedding).fit(X.take(tr), y[tr], X.take(va), y[va])
    val_score = model.predict_proba(X.take(va))[:, 1]
    assert model.threshold_ == f1_threshold(y[va], val_score)
    assert model.val_f1_ == pytest.approx(f1_score(y[va], val_score >= model.threshold_))
    test_score = model.predict_proba(X.take(te))[:, 1]
    assert np.array_equal(model.predict(X.take(te)), (test_score >= model.threshold_).astype(int))
    # the threshold is the model's, not a constant: moving it moves predict
    model.threshold_ = 1.1
    assert model.predict(X.take(te)).sum() == 0
