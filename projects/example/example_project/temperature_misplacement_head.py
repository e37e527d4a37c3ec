import torch

from dilemma_mm.models.heads import MisplacementHead
from .registry import MODELS


@MODELS.register_module()
class TemperatureMisplacementHead(MisplacementHead):
    """dilemma_mm's ``MisplacementHead`` with its logits divided by a
    temperature: a project's own variant of one of our components.

    Args:
        temperature (float): Divides the logits. Defaults to 2.0.
        **kwargs: The arguments of :class:`MisplacementHead`.
    """

    def __init__(self, temperature: float = 2.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.temperature = temperature

    def forward(self, patch_tokens: torch.Tensor) -> torch.Tensor:
        """Logits (B, K) of patch tokens (B, K, C), tempered."""
        return super().forward(patch_tokens) / self.temperature
