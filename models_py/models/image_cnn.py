"""A small 2-D CNN on a sagittal MRI stack (slices as input channels), as a scikit-learn-style estimator.

Kim et al. 2022 (seeds/002) predict the TFESI outcome from T2 sagittal images with a CNN; their network
is not described in the abstract, so this one is deliberately small enough to train on a CPU in the
demo: three conv blocks (3x3 conv, batch norm, ReLU, 2x2 max-pool) widening 16 -> 32 -> 64 channels,
global average pooling, dropout and one linear layer to 2 logits.

Training: class-weighted cross-entropy (weights inverse to prevalence, like every model here, see
models_py/evaluate.py), AdamW, a fixed number of epochs with a cosine learning-rate decay and the final
weights kept. There is no early stopping, so no held-out rows are consumed by the fit: a study can use
all rows it does not fit on for honest (out-of-fold) scores. Augmentation, on training batches only:
random translation of up to `max_shift` pixels (positioning varies between scans) and, with probability
1/2, reversal of the slice order (left and right parasagittal slices swap: which side a lesion is on is
not what the model should learn).

Seeded: the weights, batch order and augmentation come from `random_state`; on CPU the same seed gives
the same predictions (models_py.models.mdl.seed_everything makes kernels deterministic and uses every
core). CUDA when present (`device="auto"`). Torch uses one thread per core unless `n_threads` says otherwise.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted
from torch import nn

from models_py.models.mdl import resolve_device, seed_everything
from models_py.progress import progress_bar

_EVAL_BATCH = 256


class ImageNet(nn.Module):
    def __init__(self, in_channels: int, widths: tuple[int, ...], dropout: float) -> None:
        super().__init__()
        blocks, previous = [], in_channels
        for width in widths:
            blocks += [
                nn.Conv2d(previous, width, 3, padding=1, bias=False),
                nn.BatchNorm2d(width),
                nn.ReLU(),
                nn.MaxPool2d(2),
            ]
            previous = width
        self.features = nn.Sequential(*blocks)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(2 * previous, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        maps = self.features(x)
        # max pooling finds a small focal lesion wherever it is; the mean keeps diffuse context
        return self.head(torch.cat([maps.amax(dim=(2, 3)), maps.mean(dim=(2, 3))], dim=1))


def _augment(batch: torch.Tensor, max_shift: int, generator: torch.Generator) -> torch.Tensor:
    """Random shift (zero fill) per image, and slice-order reversal for a random half of the batch."""
    n = batch.shape[0]
    flip = torch.rand(n, generator=generator) < 0.5
    batch = torch.where(flip[:, None, None, None].to(batch.device), batch.flip(1), batch)
    if max_shift <= 0:
        return batch
    shifts = torch.randint(-max_shift, max_shift + 1, (n, 2), generator=generator).tolist()
    pad = nn.functional.pad(batch, (max_shift,) * 4)
    h, w = batch.shape[2], batch.shape[3]
    return torch.stack(
        [
            pad[i, :, max_shift + dy : max_shift + dy + h, max_shift + dx : max_shift + dx + w]
            for i, (dy, dx) in enumerate(shifts)
        ]
    )


class ImageCNNClassifier(ClassifierMixin, BaseEstimator):
    """fit(X, y) / predict_proba(X) / saliency(X) on float arrays X of shape (n, slices, height, width).

    Attributes
    ----------
    net_ : the trained ImageNet, on CPU, in eval mode
    history_ : list of dicts (epoch, train_loss, lr, seconds)
    classes_ : array([0, 1])
    """

    def __init__(
        self,
        widths: tuple[int, ...] = (16, 32, 64),
        dropout: float = 0.3,
        lr: float = 3e-3,
        weight_decay: float = 1e-3,
        epochs: int = 30,
        batch_size: int = 32,
        max_shift: int = 3,
        device: str = "auto",
        n_threads: int | None = None,
        random_state: int = 0,
        progress: bool = False,
        progress_label: str = "CNN epochs",
    ) -> None:
        self.widths = widths
        self.dropout = dropout
        self.lr = lr
        self.weight_decay = weight_decay
        self.epochs = epochs
        self.batch_size = batch_size
        self.max_shift = max_shift
        self.device = device
        self.n_threads = n_threads
        self.random_state = random_state
        self.progress = progress
        self.progress_label = progress_label

    def fit(self, X: np.ndarray, y) -> ImageCNNClassifier:
        X = _as_images(X)
        y = np.asarray(y, dtype=np.int64)
        if len(X) != len(y):
            raise ValueError(f"X has {len(X)} images but y has {len(y)} labels")
        if len(np.unique(y)) < 2:
            raise ValueError("the CNN needs both classes in its training rows")
        seed_everything(self.random_state)  # also sets torch threads to the number of cores
        if self.n_threads is not None:
            # fewer threads than cores: on a shared, busy machine, threads that wait on each other are far
            # slower than one thread
            torch.set_num_threads(self.n_threads)
        device = resolve_device(self.device)
        net = ImageNet(X.shape[1], tuple(self.widths), self.dropout).to(device)
        counts = np.bincount(y, minlength=2).astype(np.float64)
        # inverse-prevalence weights, scaled so a balanced set would get weight 1 per class
        weights = torch.as_tensor(len(y) / (2.0 * counts), dtype=torch.float32, device=device)
        loss_fn = nn.CrossEntropyLoss(weight=weights)
        optimizer = torch.optim.AdamW(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(self.epochs, 1))
        generator = torch.Generator().manual_seed(self.random_state)
        images = torch.as_tensor(X, device=device)
        labels = torch.as_tensor(y, device=device)
        self.history_: list[dict[str, float]] = []
        with progress_bar(self.progress) as bar:
            task = bar.add_task(self.progress_label, total=self.epochs)
            for epoch in range(1, self.epochs + 1):
                start = time.perf_counter()
                net.train()
                order = torch.randperm(len(y), generator=generator)
                total = 0.0
                for b in range(0, len(order), self.batch_size):
                    idx = order[b : b + self.batch_size].to(device)
                    if len(idx) < 2:  # batch norm cannot train on a single image
                        continue
                    batch = _augment(images[idx], self.max_shift, generator)
                    optimizer.zero_grad()
                    loss = loss_fn(net(batch), labels[idx])
                    loss.backward()
                    optimizer.step()
                    total += float(loss.detach()) * len(idx)
                self.history_.append(
                    {
                        "epoch": epoch,
                        "train_loss": total / len(y),
                        "lr": optimizer.param_groups[0]["lr"],
                        "seconds": time.perf_counter() - start,
                    }
                )
                scheduler.step()
                bar.advance(task)
        self.net_ = net.cpu().eval()
        self.classes_ = np.array([0, 1])
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Logit of the positive class (log-odds difference of the two outputs)."""
        check_is_fitted(self, "net_")
        X = _as_images(X)
        out = []
        with torch.no_grad():
            for start in range(0, len(X), _EVAL_BATCH):
                logits = self.net_(torch.as_tensor(X[start : start + _EVAL_BATCH]))
                out.append((logits[:, 1] - logits[:, 0]).numpy())
        return np.concatenate(out).astype(float) if out else np.zeros(0)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        p = 1.0 / (1.0 + np.exp(-self.decision_function(X)))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: np.ndarray) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

    def input_gradient(self, X: np.ndarray) -> np.ndarray:
        """d(positive-class logit)/d(input), same shape as X (a vanilla saliency map, signed)."""
        check_is_fitted(self, "net_")
        X = _as_images(X)
        out = []
        for start in range(0, len(X), _EVAL_BATCH):
            x = torch.as_tensor(X[start : start + _EVAL_BATCH]).clone().requires_grad_(True)
            logits = self.net_(x)
            (logits[:, 1] - logits[:, 0]).sum().backward()
            out.append(x.grad.numpy().copy())
        return np.concatenate(out) if out else np.zeros_like(X)

    def save(self, path) -> None:
        """state_dict, constructor parameters and training history."""
        check_is_fitted(self, "net_")
        params = self.get_params()
        params["widths"] = list(params["widths"])
        torch.save({"params": params, "state_dict": self.net_.state_dict(), "history": self.history_}, path)


def _as_images(X) -> np.ndarray:
    X = np.ascontiguousarray(X, dtype=np.float32)
    if X.ndim != 4:
        raise ValueError(f"images must have shape (n, slices, height, width), got {X.shape}")
    return X


def saliency_map(models: list[ImageCNNClassifier], X: np.ndarray) -> np.ndarray:
    """Input-gradient saliency of a model ensemble (mean gradient): |grad| per pixel, shape (n, slices, h, w).

    The ensemble's score is the mean of its members' logits, so its gradient is the mean gradient.
    """
    grads = np.mean([m.input_gradient(X) for m in models], axis=0)
    return np.abs(grads)
