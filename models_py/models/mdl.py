"""Multimodal deep learning model (paper, "Multimodal deep learning model", Fig. 1).

Branches, each optional so the same class also builds the single-modality networks:
- text: nn.Embedding initialised from word2vec (fine-tuned) -> one Conv1d -> ReLU
  -> global max-pool over the report;
- temporal: a Linear embedding of each monthly bin -> one-layer GRU (last hidden state);
- static: the featurised demographics, passed through as they are.
Concatenate -> Dropout -> one Linear to 2 logits.

Fully-connected layers. The paper's network is "1-layer CNN, 1-layer GRU, and two 1-layer
Fully-Connected (FC)", one of them "a FC layer to convert the temporal input into embeddings before
passing into the GRU"; the other is the FC the "concatenated vector" is passed to "to make predictions",
with "a dropout to the hidden layer of the FC" (the concatenated vector is that layer's input). So the
default has exactly two: `bin_embed` and the output Linear, dropout on the output layer's input. The tuned
hyperparameters ("number of filters, learning rate, dropout rate, GRU hidden size, and weight decay") name
no FC width, which also fits a head without a hidden layer. Fig. 1's caption ("a fully-connected layer and
then to an output layer") can be read as one more hidden layer; `fc_hidden=N` builds that variant
(Linear(width, N) + ReLU + Dropout + Linear(N, 2)), but it is off by default and not in the grids.

Training: class-weighted cross-entropy (weights inverse to prevalence in the
training part), Adam with weight decay, ReduceLROnPlateau on validation loss,
a fixed number of epochs, keeping the weights of the epoch with the lowest
validation loss. The paper lowers the learning rate "when the validation loss increased": with
patience=0, torch's ReduceLROnPlateau halves it at the end of the first epoch whose validation loss does
not improve on the best so far (by more than its default relative threshold 1e-4); patience=1 waited for
a second such epoch. Hyperparameters are picked by `grid_search` on an 80/20
stratified split of the training rows by lowest validation loss; as in the
paper, the final model is the one trained on that 80 % with the 20 % monitored,
so the best grid model is kept rather than retrained.

Decision threshold: with class weights the 0.5 point of a network's probability
drifts from run to run (early stopping picks an epoch, not an operating point),
and a fixed 0.5 sometimes predicted no test patient positive. `fit` therefore
chooses `threshold_` on the validation rows it already monitors: the predicted
probability that maximises F1 there (ties to the higher threshold), and
`predict` uses it. Only validation rows set it, never test rows.
"""

from __future__ import annotations

import copy
import itertools
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import f1_score, precision_recall_curve
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted
from torch import nn

from models_py.progress import progress_bar

MODALITIES = ("text", "temporal", "static")


@dataclass
class MDLInputs:
    """Featurised inputs for n patients; a modality the model does not use may be None."""

    tokens: np.ndarray | None = None  # (n, L) int64 token ids
    temporal: np.ndarray | None = None  # (n, 3, F) float32
    static: np.ndarray | None = None  # (n, S) float32

    def __len__(self) -> int:
        for a in (self.tokens, self.temporal, self.static):
            if a is not None:
                return len(a)
        return 0

    def take(self, idx: np.ndarray) -> MDLInputs:
        return MDLInputs(*(None if a is None else a[idx] for a in (self.tokens, self.temporal, self.static)))


class MDLNet(nn.Module):
    def __init__(
        self,
        *,
        modalities: Sequence[str],
        embedding: np.ndarray | None,
        n_temporal_features: int,
        n_static_features: int,
        n_filters: int,
        kernel_size: int,
        temporal_embed_dim: int,
        gru_hidden: int,
        fc_hidden: int | None,
        dropout: float,
    ) -> None:
        super().__init__()
        self.modalities = tuple(modalities)
        width = 0
        if "text" in self.modalities:
            assert embedding is not None
            # copy: fine-tuning must not write back into the caller's word2vec matrix
            self.embedding = nn.Embedding.from_pretrained(
                torch.tensor(embedding, dtype=torch.float32), freeze=False, padding_idx=0
            )
            self.conv = nn.Conv1d(embedding.shape[1], n_filters, kernel_size, padding=kernel_size // 2)
            width += n_filters
        if "temporal" in self.modalities:
            self.bin_embed = nn.Linear(n_temporal_features, temporal_embed_dim)
            self.gru = nn.GRU(temporal_embed_dim, gru_hidden, num_layers=1, batch_first=True)
            width += gru_hidden
        if "static" in self.modalities:
            width += n_static_features
        if fc_hidden is None:
            # the paper's prediction FC: dropout on its input (the concatenated vector), then the logits
            self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(width, 2))
        else:
            # optional variant with a hidden FC layer (module docstring); not the paper's default
            self.head = nn.Sequential(
                nn.Linear(width, fc_hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(fc_hidden, 2)
            )

    def forward(self, tokens=None, temporal=None, static=None) -> torch.Tensor:
        parts = []
        if "text" in self.modalities:
            emb = self.embedding(tokens).transpose(1, 2)  # (n, dim, L)
            parts.append(torch.relu(self.conv(emb)).amax(dim=2))
        if "temporal" in self.modalities:
            _, h_last = self.gru(self.bin_embed(temporal))
            parts.append(h_last[-1])
        if "static" in self.modalities:
            parts.append(static)
        return self.head(torch.cat(parts, dim=1))


def resolve_device(device: str) -> torch.device:
    """auto (CUDA when present), cpu, cuda or cuda:N; a GPU asked for but absent is a ValueError before any
    training starts, not a failure halfway through it."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not re.fullmatch(r"cpu|cuda(:\d+)?", device):
        raise ValueError(f"device '{device}' is not one of auto, cpu, cuda, cuda:N")
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(f"device '{device}' requested but CUDA is not available; use device cpu or auto")
        index = int(device.partition(":")[2] or 0)
        if index >= torch.cuda.device_count():
            raise ValueError(
                f"device '{device}' requested but this machine has {torch.cuda.device_count()} GPU(s)"
            )
    return torch.device(device)


def seed_everything(seed: int) -> None:
    """Seed torch and make kernels deterministic where PyTorch can."""
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    if torch.cuda.is_available():
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.set_num_threads(max(1, os.cpu_count() or 1))


def f1_threshold(y, score, default: float = 0.5) -> float:
    """The score threshold (predict positive when score >= it) with the highest F1 on (y, score).

    Candidates are the distinct scores (scikit-learn's precision_recall_curve); ties go to the higher
    threshold (fewer positives predicted). Returns `default` when y has no positives, where F1 cannot choose.
    """
    y = np.asarray(y, dtype=np.int64)
    if len(y) == 0 or int(y.sum()) == 0:
        return float(default)
    precision, recall, thresholds = precision_recall_curve(y, np.asarray(score, dtype=np.float64))
    total = precision + recall
    f1 = np.divide(2 * precision * recall, total, out=np.zeros_like(total), where=total > 0)[:-1]
    best = len(f1) - 1 - int(np.argmax(f1[::-1]))  # thresholds ascend: the last maximum is the highest
    return float(thresholds[best])


class MDLClassifier(ClassifierMixin, BaseEstimator):
    """The multimodal network as an estimator: fit(X_train, y_train, X_val, y_val), predict_proba(X).

    Attributes
    ----------
    net_ : trained MDLNet (best-validation-loss weights), on CPU
    history_ : list of dicts (epoch, train_loss, val_loss, lr, seconds)
    best_val_loss_, best_epoch_, seconds_per_epoch_
    threshold_ : decision threshold for `predict`, the validation-F1 maximiser (see module doc)
    val_f1_ : validation F1 at `threshold_`
    """

    def __init__(
        self,
        modalities: Sequence[str] = MODALITIES,
        embedding: np.ndarray | None = None,
        n_filters: int = 64,
        kernel_size: int = 3,
        temporal_embed_dim: int = 64,
        gru_hidden: int = 64,
        fc_hidden: int | None = None,
        dropout: float = 0.3,
        lr: float = 1e-3,
        weight_decay: float = 1e-4,
        epochs: int = 30,
        batch_size: int = 64,
        scheduler_patience: int = 0,
        device: str = "auto",
        random_state: int = 0,
        progress: bool = False,
        progress_label: str = "epochs",
    ) -> None:
        self.modalities = modalities
        self.embedding = embedding
        self.n_filters = n_filters
        self.kernel_size = kernel_size
        self.temporal_embed_dim = temporal_embed_dim
        self.gru_hidden = gru_hidden
        self.fc_hidden = fc_hidden
        self.dropout = dropout
        self.lr = lr
        self.weight_decay = weight_decay
        self.epochs = epochs
        self.batch_size = batch_size
        self.scheduler_patience = scheduler_patience
        self.device = device
        self.random_state = random_state
        self.progress = progress
        self.progress_label = progress_label

    # -- helpers ---------------------------------------------------------------------------------------
    def _tensors(self, X: MDLInputs, idx: np.ndarray, device: torch.device) -> dict[str, torch.Tensor]:
        out = {}
        if "text" in self.modalities:
            out["tokens"] = torch.as_tensor(X.tokens[idx], device=device)
        if "temporal" in self.modalities:
            out["temporal"] = torch.as_tensor(X.temporal[idx], device=device)
        if "static" in self.modalities:
            out["static"] = torch.as_tensor(X.static[idx], device=device)
        return out

    def _loss(self, net, X, y, loss_fn, device) -> float:
        net.eval()
        total, n = 0.0, 0
        with torch.no_grad():
            for start in range(0, len(X), 1024):
                idx = np.arange(start, min(start + 1024, len(X)))
                logits = net(**self._tensors(X, idx, device))
                target = torch.as_tensor(y[idx], device=device)
                total += float(loss_fn(logits, target)) * len(idx)
                n += len(idx)
        return total / max(n, 1)

    def _build(self, X: MDLInputs) -> MDLNet:
        unknown = set(self.modalities) - set(MODALITIES)
        if unknown or not self.modalities:
            raise ValueError(f"modalities must be a non-empty subset of {MODALITIES}, got {self.modalities}")
        return MDLNet(
            modalities=self.modalities,
            embedding=self.embedding,
            n_temporal_features=0 if X.temporal is None else X.temporal.shape[2],
            n_static_features=0 if X.static is None else X.static.shape[1],
            n_filters=self.n_filters,
            kernel_size=self.kernel_size,
            temporal_embed_dim=self.temporal_embed_dim,
            gru_hidden=self.gru_hidden,
            fc_hidden=self.fc_hidden,
            dropout=self.dropout,
        )

    # -- estimator API ---------------------------------------------------------------------------------
    def fit(self, X: MDLInputs, y, X_val: MDLInputs, y_val, on_epoch=None) -> MDLClassifier:
        """Train on (X, y), monitoring (X_val, y_val); `on_epoch()` is called after each epoch (progress)."""
        y = np.asarray(y, dtype=np.int64)
        y_val = np.asarray(y_val, dtype=np.int64)
        if len(np.unique(y)) < 2:
            raise ValueError("the network needs both classes in its training rows")
        seed_everything(self.random_state)
        device = resolve_device(self.device)
        net = self._build(X).to(device)
        counts = np.bincount(y, minlength=2).astype(np.float64)
        # inverse-prevalence weights, scaled so a balanced set would get weight 1 per class
        weights = torch.as_tensor(len(y) / (2.0 * counts), dtype=torch.float32, device=device)
        loss_fn = nn.CrossEntropyLoss(weight=weights)
        optimizer = torch.optim.Adam(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, mode="min", factor=0.5, patience=self.scheduler_patience
        )
        generator = torch.Generator().manual_seed(self.random_state)
        best_state, self.best_val_loss_, self.best_epoch_ = None, float("inf"), 0
        self.history_: list[dict[str, float]] = []
        with progress_bar(self.progress) as bar:
            task = bar.add_task(self.progress_label, total=self.epochs)
            for epoch in range(1, self.epochs + 1):
                start = time.perf_counter()
                net.train()
                order = torch.randperm(len(y), generator=generator).numpy()
                train_loss = 0.0
                for b in range(0, len(order), self.batch_size):
                    idx = order[b : b + self.batch_size]
                    optimizer.zero_grad()
                    logits = net(**self._tensors(X, idx, device))
                    loss = loss_fn(logits, torch.as_tensor(y[idx], device=device))
                    loss.backward()
                    optimizer.step()
                    train_loss += float(loss.detach()) * len(idx)
                val_loss = self._loss(net, X_val, y_val, loss_fn, device)
                scheduler.step(val_loss)
                self.history_.append(
                    {
                        "epoch": epoch,
                        "train_loss": train_loss / len(y),
                        "val_loss": val_loss,
                        "lr": optimizer.param_groups[0]["lr"],
                        "seconds": time.perf_counter() - start,
                    }
                )
                if val_loss < self.best_val_loss_:
                    self.best_val_loss_, self.best_epoch_ = val_loss, epoch
                    best_state = copy.deepcopy({k: v.detach().cpu() for k, v in net.state_dict().items()})
                bar.advance(task)
                if on_epoch is not None:
                    on_epoch()
        net = net.cpu()
        net.load_state_dict(best_state)
        self.net_ = net.eval()
        self.seconds_per_epoch_ = float(np.mean([h["seconds"] for h in self.history_]))
        self.classes_ = np.array([0, 1])
        val_score = self.predict_proba(X_val)[:, 1]
        self.threshold_ = f1_threshold(y_val, val_score)
        self.val_f1_ = float(f1_score(y_val, val_score >= self.threshold_, zero_division=0))
        return self

    def predict_proba(self, X: MDLInputs) -> np.ndarray:
        check_is_fitted(self, "net_")
        self.net_.eval()
        out = []
        with torch.no_grad():
            for start in range(0, len(X), 1024):
                idx = np.arange(start, min(start + 1024, len(X)))
                out.append(
                    torch.softmax(self.net_(**self._tensors(X, idx, torch.device("cpu"))), dim=1).numpy()
                )
        return np.concatenate(out) if out else np.zeros((0, 2))

    def predict(self, X: MDLInputs) -> np.ndarray:
        check_is_fitted(self, "threshold_")
        return (self.predict_proba(X)[:, 1] >= self.threshold_).astype(int)

    def save(self, path) -> None:
        """state_dict + constructor parameters (without the embedding, which the state_dict holds)."""
        check_is_fitted(self, "net_")
        params = {k: v for k, v in self.get_params().items() if k != "embedding"}
        params["modalities"] = list(params["modalities"])
        torch.save(
            {
                "params": params,
                "state_dict": self.net_.state_dict(),
                "history": self.history_,
                "threshold": self.threshold_,
            },
            path,
        )


# -- grid search ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grid:
    """Hyperparameter values searched (full product) and the epochs each combination trains."""

    n_filters: tuple[int, ...]
    lr: tuple[float, ...]
    dropout: tuple[float, ...]
    gru_hidden: tuple[int, ...]
    weight_decay: tuple[float, ...]
    epochs: int
    notes: str = ""

    def combos(self) -> list[dict[str, float]]:
        keys = ("n_filters", "lr", "dropout", "gru_hidden", "weight_decay")
        return [dict(zip(keys, v, strict=True)) for v in itertools.product(*(getattr(self, k) for k in keys))]


# Table S2 of the paper is not in the text we have; these values follow the
# CNN/GRU clinical-text literature it cites (Zhang et al.) and are documented here.
GRIDS: dict[str, Grid] = {
    "small": Grid(
        n_filters=(64,),
        lr=(1e-3, 3e-3),
        dropout=(0.3,),
        gru_hidden=(64,),
        weight_decay=(1e-4,),
        epochs=12,
        notes="demo grid: 2 combinations, 12 epochs (not 30) so both tasks train in minutes on CPU",
    ),
    "paper": Grid(
        n_filters=(64, 128, 256),
        lr=(1e-4, 1e-3),
        dropout=(0.2, 0.5),
        gru_hidden=(64, 128),
        weight_decay=(1e-5, 1e-4),
        epochs=30,
        notes="48 combinations, 30 epochs each, as in the paper's protocol",
    ),
}


@dataclass
class GridResult:
    best: MDLClassifier
    table: list[dict[str, float]] = field(default_factory=list)
    train_idx: np.ndarray | None = None
    val_idx: np.ndarray | None = None


def grid_search(
    X: MDLInputs,
    y: np.ndarray,
    grid: Grid,
    *,
    base: MDLClassifier,
    seed: int,
    progress: bool = False,
    label: str = "MDL grid",
) -> GridResult:
    """Train every combination on an 80/20 stratified split of (X, y); keep the lowest validation loss.

    Ties keep the earlier combination (grid order), so results do not depend on timing.
    """
    y = np.asarray(y, dtype=np.int64)
    train_idx, val_idx = train_test_split(np.arange(len(y)), test_size=0.2, stratify=y, random_state=seed)
    X_tr, X_va = X.take(train_idx), X.take(val_idx)
    best, table = None, []
    combos = grid.combos()
    with progress_bar(progress) as bar:
        task = bar.add_task(
            f"{label} ({len(combos)} combos x {grid.epochs} epochs)", total=len(combos) * grid.epochs
        )
        for i, params in enumerate(combos):
            model = copy.deepcopy(base).set_params(
                **params, epochs=grid.epochs, random_state=seed, progress=False
            )
            model.fit(X_tr, y[train_idx], X_va, y[val_idx], on_epoch=lambda: bar.advance(task))
            table.append(
                {
                    "combo": i,
                    **params,
                    "best_val_loss": model.best_val_loss_,
                    "best_epoch": model.best_epoch_,
                    "threshold": model.threshold_,
                    "val_f1": model.val_f1_,
                    "seconds_per_epoch": model.seconds_per_epoch_,
                }
            )
            if best is None or model.best_val_loss_ < best.best_val_loss_:
                best = model
    return GridResult(best=best, table=table, train_idx=train_idx, val_idx=val_idx)
