"""Logistic regression with l1 / l2 / elastic_net on PyTorch (a GPU where there is one).

scikit-learn's objective with C = 1 / alpha, divided by the number of rows n:

    mean log-loss + (alpha / n) * (r ||w||_1 + (1 - r) / 2 ||w||^2)

(r = 1 for l1, 0 for l2; no penalty without a regularizer), binary with one row of
coefficients and a sigmoid, multiclass with one row per class and a softmax. FISTA with
a backtracking step size; the intercept is never penalized. Float64 throughout.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
import torch.nn.functional as F

from api_schemas import LogisticRegressionSpec
from workers.trainers.torch_device import resolve_device
from workers.trainers.torch_estimator import TorchEstimator

DEFAULT_MAX_ITER = 20_000
DEFAULT_TOL = 1e-10


class TorchLogisticRegression(TorchEstimator[LogisticRegressionSpec]):
    """scikit-learn's contract: __init__ stores; fit learns coef_, intercept_, classes_."""

    def _strengths(self, n: int) -> tuple[float, float]:
        """(l1 weight, l2 weight) of the penalty, per row."""
        if self.penalty is None:
            return 0.0, 0.0
        alpha, ratio = self.penalty.alpha, self.penalty.l1_ratio
        return alpha * ratio / n, alpha * (1 - ratio) / n

    def fit(self, X: np.ndarray, y: np.ndarray) -> TorchLogisticRegression:
        self.device_ = resolve_device(self.device)
        self.classes_ = np.unique(y)
        binary = len(self.classes_) == 2
        X_t = torch.as_tensor(X, dtype=torch.float64, device=self.device_)
        index = torch.as_tensor(np.searchsorted(self.classes_, y), device=self.device_)
        rows = 1 if binary else len(self.classes_)
        l1, l2 = self._strengths(len(y))
        w = torch.zeros(rows, X.shape[1], dtype=torch.float64, device=self.device_)
        b = torch.zeros(rows, dtype=torch.float64, device=self.device_)

        def smooth(w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
            logits = X_t @ w.T + (b if self.spec.fit_intercept else 0)
            if binary:
                data = F.binary_cross_entropy_with_logits(logits[:, 0], index.double())
            else:
                data = F.cross_entropy(logits, index)
            return data + l2 / 2 * w.pow(2).sum()

        max_iter = self.spec.max_iter or DEFAULT_MAX_ITER
        tol = self.spec.tol or DEFAULT_TOL
        step, t = 1.0, 1.0
        zw, zb = w.clone(), b.clone()
        self.n_iter_ = max_iter
        for iteration in range(1, max_iter + 1):
            zw.requires_grad_(True)
            zb.requires_grad_(True)
            value = smooth(zw, zb)
            # Without an intercept zb is not in the graph: its gradient is zeros.
            gw, gb = torch.autograd.grad(value, (zw, zb), materialize_grads=True)
            zw, zb, value = zw.detach(), zb.detach(), value.detach()
            while True:  # backtracking: shrink the step until the quadratic bound holds
                moved = zw - step * gw
                w_next = torch.sign(moved) * torch.clamp(moved.abs() - step * l1, min=0.0)
                b_next = zb - step * gb if self.spec.fit_intercept else zb
                dw, db = w_next - zw, b_next - zb
                bound = value + (gw * dw).sum() + (gb * db).sum()
                bound = bound + ((dw.pow(2).sum() + db.pow(2).sum()) / (2 * step))
                if smooth(w_next, b_next) <= bound + 1e-15:
                    break
                step /= 2
            t_next = (1 + (1 + 4 * t * t) ** 0.5) / 2
            momentum = (t - 1) / t_next
            zw = w_next + momentum * (w_next - w)
            zb = b_next + momentum * (b_next - b)
            change = max(float((w_next - w).abs().max()), float((b_next - b).abs().max()))
            w, b, t = w_next, b_next, t_next
            if change <= tol * max(1.0, float(w.abs().max())):
                self.n_iter_ = iteration
                break
        else:
            warnings.warn(
                f"FISTA did not converge in {max_iter} iterations; raise max_iter or tol",
                stacklevel=2,
            )
        self.coef_ = w.cpu().numpy()
        self.intercept_ = b.cpu().numpy()
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        scores: np.ndarray = X @ self.coef_.T + self.intercept_
        return scores

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        scores = self.decision_function(X)
        if scores.shape[1] == 1:
            positive = 1 / (1 + np.exp(-scores[:, 0]))
            return np.column_stack([1 - positive, positive])
        scores = scores - scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        proba: np.ndarray = exp / exp.sum(axis=1, keepdims=True)
        return proba

    def predict(self, X: np.ndarray) -> np.ndarray:
        predicted: np.ndarray = self.classes_[self.predict_proba(X).argmax(axis=1)]
        return predicted
