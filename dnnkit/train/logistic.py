"""The linear baseline: scikit-learn's multinomial LogisticRegression fitted on a split's training part, scored on
its validation part (the classifier a network without hidden nonlinearity cannot beat)."""

from __future__ import annotations

import math

from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits


def logistic_regression_accuracy(split, *, C: float = 1.0, max_iter: int = 1000) -> float:
    """Validation accuracy of an L2-regularized (inverse strength C) logistic regression, lbfgs, trained on the
    training part of `split` (a dnnkit.data.Split; its inputs as they are, standardized or not). Deterministic."""
    if isinstance(C, bool) or not isinstance(C, (int, float)) or not (math.isfinite(C) and C > 0):
        raise ValueError(f"C={C!r}; it must be a finite number > 0 (inverse regularization strength)")
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
        raise ValueError(f"max_iter={max_iter!r}; it must be a positive integer")
    X, y = split.X_train.detach().cpu().double().numpy(), split.y_train.detach().cpu().numpy()
    # One BLAS thread: on a loaded 2-core host lbfgs with the default thread pool took 15 s instead of 0.07 s.
    with threadpool_limits(limits=1):
        model = LogisticRegression(C=C, max_iter=max_iter).fit(X, y)
    return float(model.score(split.X_val.detach().cpu().double().numpy(), split.y_val.detach().cpu().numpy()))
