"""Linear regression with l1 / l2 / elastic_net on PyTorch (a GPU where there is one).

The objectives are scikit-learn's, so the coefficients agree with Lasso, Ridge,
ElasticNet and LinearRegression (to about 1e-4 relative on well-posed problems; both
solve to a tolerance):

- none: ||y - Xw - b||^2, and l2: the same + alpha ||w||^2, solved in closed form;
- l1 / elastic_net: 1/(2n) ||y - Xw - b||^2 + alpha r ||w||_1 + alpha (1 - r)/2 ||w||^2,
  minimised by FISTA (accelerated proximal gradient) with soft thresholding.

The intercept is never penalized: the data are centred first, as scikit-learn does.
Everything runs in float64.
"""

from __future__ import annotations

import warnings
from typing import Any, assert_never

import numpy as np
import torch

from api_schemas import LinearRegressionSpec
from workers.trainers.penalties import ElasticNetPenalty, L1Penalty, L2Penalty
from workers.trainers.torch_device import resolve_device
from workers.trainers.torch_estimator import TorchEstimator

DEFAULT_MAX_ITER = 100_000
DEFAULT_TOL = 1e-10


class TorchLinearRegression(TorchEstimator[LinearRegressionSpec]):
    """scikit-learn's contract: __init__ stores, fit learns coef_ and intercept_."""

    def fit(self, X: np.ndarray, y: np.ndarray) -> TorchLinearRegression:
        self.device_ = resolve_device(self.device)
        X_t = torch.as_tensor(X, dtype=torch.float64, device=self.device_)
        y_t = torch.as_tensor(y, dtype=torch.float64, device=self.device_)
        x_mean = (
            X_t.mean(0)
            if self.spec.fit_intercept
            else torch.zeros(X_t.shape[1], dtype=torch.float64, device=self.device_)
        )
        y_mean = (
            y_t.mean()
            if self.spec.fit_intercept
            else torch.zeros((), dtype=torch.float64, device=self.device_)
        )
        Xc, yc = X_t - x_mean, y_t - y_mean
        match self.penalty:
            case None:
                w = torch.linalg.lstsq(Xc, yc.unsqueeze(1)).solution.squeeze(1)
                self.n_iter_ = 1
            case L2Penalty(alpha=alpha):
                gram = Xc.T @ Xc + alpha * torch.eye(
                    Xc.shape[1], dtype=torch.float64, device=self.device_
                )
                w = torch.linalg.solve(gram, Xc.T @ yc)
                self.n_iter_ = 1
            case L1Penalty(alpha=alpha) | ElasticNetPenalty(alpha=alpha):
                w = self._fista(Xc, yc, alpha, self.penalty.l1_ratio)
            case _:
                assert_never(self.penalty)
        self.coef_ = w.cpu().numpy()
        self.intercept_ = float((y_mean - x_mean @ w).cpu())
        return self

    def _fista(self, X: torch.Tensor, y: torch.Tensor, alpha: float, ratio: float) -> torch.Tensor:
        n = X.shape[0]
        max_iter = self.spec.max_iter or DEFAULT_MAX_ITER
        tol = self.spec.tol or DEFAULT_TOL
        # Lipschitz constant of the smooth part's gradient.
        lipschitz = float(torch.linalg.matrix_norm(X, ord=2) ** 2) / n + alpha * (1 - ratio)
        step = 1.0 / max(lipschitz, 1e-12)
        threshold = step * alpha * ratio
        Xty = X.T @ y / n
        w = torch.zeros(X.shape[1], dtype=torch.float64, device=X.device)
        z, t = w.clone(), 1.0
        self.n_iter_ = max_iter
        for iteration in range(1, max_iter + 1):
            gradient = X.T @ (X @ z) / n - Xty + alpha * (1 - ratio) * z
            moved = z - step * gradient
            w_next = torch.sign(moved) * torch.clamp(moved.abs() - threshold, min=0.0)
            t_next = (1 + (1 + 4 * t * t) ** 0.5) / 2
            z = w_next + ((t - 1) / t_next) * (w_next - w)
            change = float((w_next - w).abs().max())
            w, t = w_next, t_next
            if change <= tol * max(1.0, float(w.abs().max())):
                self.n_iter_ = iteration
                return w
        warnings.warn(
            f"FISTA did not converge in {max_iter} iterations; raise max_iter or tol",
            stacklevel=2,
        )
        return w

    def predict(self, X: np.ndarray) -> np.ndarray:
        prediction: np.ndarray = X @ self.coef_ + self.intercept_
        return prediction

    def get_params(self) -> dict[str, Any]:
        return {"penalty": self.penalty, "fit_intercept": self.spec.fit_intercept}
