"""Helpers of the algorithm tests: tiny models and real-pipeline batches."""
import random
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import Compose
from mmengine.dataset import default_collate
from mmengine.logging import MessageHub
from mmengine.registry import init_default_scope

from dilemma_mm.registry import MODELS

DIMS = 32
ARCH = dict(
    embed_dims=DIMS, num_layers=1, num_heads=2, feedforward_channels=64)


def build(cfg: dict, epoch: int = 0):
    """Build and initialise ``cfg`` (seed 0) as a runner at ``epoch``."""
    init_default_scope('dilemma_mm')
    hub = MessageHub.get_current_instance()
    hub.update_info('max_iters', 100)
    hub.update_info('epoch', epoch)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def make_batch(transforms: Sequence[dict],
               drop_ratio: float = 0.5,
               misplace_prob: float = 0.25,
               keys: Sequence[str] = ('keep', 'pos'),
               seed: int = 0,
               batch_size: int = 4,
               image_shape: tuple = (48, 40, 3)) -> dict:
    """A collated batch of random images through ``transforms``, then
    ``TokenDropTransform`` (patch 8) and ``PackInputs`` with ``keys``."""
    init_default_scope('dilemma_mm')
    random.seed(seed)  # mmcv's RandomGrayscale draws from `random`
    np.random.seed(seed)
    pipeline = Compose([
        *transforms,
        dict(
            type='TokenDropTransform',
            drop_ratio=drop_ratio,
            misplace_prob=misplace_prob,
            patch_size=8),
        dict(type='PackInputs', algorithm_keys=list(keys)),
    ])
    images = np.random.randint(0, 256, (batch_size, *image_shape), np.uint8)
    return default_collate([pipeline(dict(img=img)) for img in images])


def load_weights(dilemma, baseline) -> None:
    """Give ``dilemma`` the weights of ``baseline``; only the misplacement
    head is its own."""
    missing, unexpected = dilemma.load_state_dict(
        baseline.state_dict(), strict=False)
    assert not unexpected, unexpected
    assert all(k.startswith('misplacement_head.') for k in missing), missing


class SeqLenRecorder:
    """Records the token count entering the first block of backbones."""

    def __init__(self, **backbones) -> None:
        self.seq_lens = {name: [] for name in backbones}
        for name, backbone in backbones.items():
            backbone.layers[0].register_forward_pre_hook(self._hook(name))

    def _hook(self, name: str):

        def record(module, args) -> None:
            tokens = args[0]  # (B, seq_len, C)
            self.seq_lens[name].append(tokens.shape[1])

        return record
