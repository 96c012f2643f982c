"""Feature matching (Salimans et al., 2016, Sec. 3.1): D plays the adversarial game; G
matches the mean of D's features on real and generated batches instead,
:math:`\\lVert \\mathbb{E} f(x) - \\mathbb{E} f(G(z)) \\rVert_2^2`
(:func:`gan_lib.stabilization.feature_matching.feature_matching_loss`). D needs
``features(x) -> (B, F)``."""

from __future__ import annotations

from gan_lib.stabilization.feature_matching import feature_matching_loss
from gan_lib.training.objectives.adversarial import Adversarial
from gan_lib.training.objectives.base import Context, Reals, Terms, unwrap


class FeatureMatching(Adversarial):
    """:class:`Adversarial` for D; G's loss is the feature-matching distance."""

    def bind(self, context: Context) -> None:
        super().bind(context)
        if not callable(getattr(unwrap(context.D), "features", None)):
            raise AttributeError("feature_matching needs D.features(x) -> (B, F)")

    def generator_loss(self, reals: Reals, g_step: int) -> Terms:
        D = unwrap(self.context.D)  # frozen during G's step
        with self.context.autocast():
            x_fake, _ = self.fakes()
            x_real, _ = self._split(reals())
            loss = feature_matching_loss(D.features(x_real), D.features(x_fake))
        return {"feature_matching": loss}
