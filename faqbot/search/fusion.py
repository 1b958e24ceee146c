"""The learned parts of retrieval: how the ranking signals are fused, and when to decline.

Two logistic models, both plain weight vectors over named features that mean
the same on any FAQ corpus (see `retrieve.RANKING_FEATURES` and
`retrieve.ABSTENTION_FEATURES`):

- ranking: P(this candidate passage answers the question), one row per
  candidate; candidates are ordered by it;
- abstention: P(the corpus answers the question at all), one row per
  question; below the no-answer threshold the bot declines.

At run time a model is a dot product (numpy only). The weights ship as
`faqbot/search/fusion.json`, written by `scripts/fit_fusion.py`, which fits them with
scikit-learn on the labelled dev questions; `faqbot eval --cv doc` refits them
leave-one-document-out to measure how they do on documents they never saw.

    >>> model = FusionModel.load()                      # doctest: +SKIP
    >>> model.ranking.probability(features)             # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from faqbot.core.errors import FusionModelError

DEFAULT_MODEL_PATH = Path(__file__).resolve().parent / "fusion.json"


@dataclass(frozen=True)
class LinearModel:
    """A logistic model over named features: P = sigmoid(bias + weights . x)."""

    features: tuple[str, ...]
    weights: np.ndarray
    bias: float

    def __post_init__(self) -> None:
        if self.weights.shape != (len(self.features),):
            raise FusionModelError(f"{len(self.features)} features but {self.weights.shape} weights: {self.features!r}")
        if not np.all(np.isfinite(self.weights)) or not math.isfinite(self.bias):
            raise FusionModelError("the weights must be finite numbers")

    def logit(self, matrix: np.ndarray) -> np.ndarray:
        """bias + weights . row, for each row of `matrix` (columns in `features` order)."""
        return self.bias + matrix @ self.weights

    def probability(self, matrix: np.ndarray) -> np.ndarray:
        """The model's probability for each row of `matrix`."""
        return 1.0 / (1.0 + np.exp(-self.logit(matrix)))

    def to_json(self) -> dict[str, Any]:
        return {
            "bias": round(self.bias, 6),
            "weights": {n: round(float(w), 6) for n, w in zip(self.features, self.weights, strict=False)},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], expected: tuple[str, ...]) -> LinearModel:
        """Read {"bias", "weights": {feature: weight}}; every feature in `expected` must have a weight."""
        try:
            weights = data["weights"]
            missing = [name for name in expected if name not in weights]
            unknown = [name for name in weights if name not in expected]
            if missing or unknown:
                raise FusionModelError(f"weights do not fit the features: missing {missing}, unknown {unknown}")
            return cls(expected, np.array([float(weights[n]) for n in expected]), float(data["bias"]))
        except (KeyError, TypeError, ValueError) as error:
            if isinstance(error, FusionModelError):
                raise
            raise FusionModelError(f"malformed model: {error!r}") from error


@dataclass(frozen=True)
class FusionModel:
    """The ranking and abstention models, and how they were fitted (`meta`).

    `sure_threshold` is the confidence from which an answer is given plainly: between the
    no-answer threshold and it, the bot gives the closest entry and says it is not sure
    (None: every answer above the no-answer threshold is given plainly)."""

    ranking: LinearModel
    abstention: LinearModel
    meta: dict[str, Any] = field(default_factory=dict)
    sure_threshold: float | None = None

    def __post_init__(self) -> None:
        sure = self.sure_threshold
        if sure is not None and not (isinstance(sure, int | float) and 0.0 < sure < 1.0):
            raise FusionModelError(f"sure_threshold must be a number between 0 and 1, got {sure!r}")

    def sure_cut(self, no_answer_threshold: float) -> float:
        """The confidence from which an answer is given plainly: the fitted sure threshold, or
        the no-answer threshold (no hedging) for weights fitted without one."""
        return self.sure_threshold if self.sure_threshold is not None else no_answer_threshold

    @classmethod
    def load(cls, path: str | Path | None = None) -> FusionModel:
        """Load the weights file (the one shipped with the package by default)."""
        from faqbot.search.retrieve import ABSTENTION_FEATURES, RANKING_FEATURES

        path = Path(path) if path is not None else DEFAULT_MODEL_PATH
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise FusionModelError(f"cannot read the fusion weights {str(path)!r}: {error}") from error
        if not isinstance(data, dict) or "ranking" not in data or "abstention" not in data:
            raise FusionModelError(f"{str(path)!r} holds no 'ranking' and 'abstention' models")
        return cls(
            ranking=LinearModel.from_json(data["ranking"], RANKING_FEATURES),
            abstention=LinearModel.from_json(data["abstention"], ABSTENTION_FEATURES),
            meta=data.get("meta", {}),
            sure_threshold=data.get("sure_threshold"),
        )

    @classmethod
    def untrained(cls) -> FusionModel:
        """Zero weights over the current features: a placeholder to fit from (every
        probability is 0.5), for when the weights file predates a change of features."""
        from faqbot.search.retrieve import ABSTENTION_FEATURES, RANKING_FEATURES

        return cls(
            ranking=LinearModel(RANKING_FEATURES, np.zeros(len(RANKING_FEATURES)), 0.0),
            abstention=LinearModel(ABSTENTION_FEATURES, np.zeros(len(ABSTENTION_FEATURES)), 0.0),
            meta={"how": "untrained"},
        )

    def save(self, path: str | Path) -> None:
        """Write the weights as JSON (readable, diffable)."""
        data: dict[str, Any] = {"ranking": self.ranking.to_json(), "abstention": self.abstention.to_json()}
        if self.sure_threshold is not None:
            data["sure_threshold"] = round(self.sure_threshold, 6)
        data["meta"] = self.meta
        Path(path).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def fit_logistic(
    matrix: np.ndarray, labels: np.ndarray, features: tuple[str, ...], *, c: float = 1.0, balanced: bool = False
) -> LinearModel:
    """Fit an L2-regularized logistic regression (scikit-learn, a test/tuning dependency)
    on standardized features and return it on the features' own scale."""
    from sklearn.linear_model import LogisticRegression

    mean = matrix.mean(axis=0)
    scale = matrix.std(axis=0)
    scale[scale < 1e-9] = 1.0
    fitted = LogisticRegression(C=c, class_weight="balanced" if balanced else None, max_iter=2000)
    fitted.fit((matrix - mean) / scale, labels.astype(int))
    weights = fitted.coef_[0] / scale
    return LinearModel(features, weights, float(fitted.intercept_[0] - mean @ weights))


def shift_to_threshold(model: LinearModel, cut: float, threshold: float) -> LinearModel:
    """The same model with its bias moved so that probability `cut` becomes `threshold`:
    the decision `probability >= threshold` then equals the fitted decision at `cut`."""
    return LinearModel(model.features, model.weights, model.bias - _logit(cut) + _logit(threshold))


def shifted_probability(probability: float, cut: float, threshold: float) -> float:
    """Where `probability` lands once the model is shifted by `shift_to_threshold(cut, threshold)`.

    >>> round(shifted_probability(0.5, cut=0.5, threshold=0.35), 2)
    0.35
    """
    return 1.0 / (1.0 + math.exp(-(_logit(probability) - _logit(cut) + _logit(threshold))))


def _logit(p: float) -> float:
    return math.log(p / (1 - p))
