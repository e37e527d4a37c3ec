"""Regression test of the whole misplacement path: on images whose patches
say where they belong, detection must become near perfect within a few
hundred steps of a tiny ViT. Anything that scrambles keep/pos, the gather
of tokens or position embeddings, the target or the loss shows here."""
import numpy as np
import torch
from mmcv.transforms import Compose
from mmengine.dataset import default_collate
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmengine.runner import set_random_seed

from dilemma_mm.registry import MODELS

SIZE, PATCH = 32, 8
GRID = SIZE // PATCH


def position_coded_image(rng: np.random.Generator) -> np.ndarray:
    """Each 8 px patch is painted with its own row (red) and column (green)
    on noise, so its content alone names its grid cell."""
    image = rng.integers(0, 60, (SIZE, SIZE, 3))
    for row in range(GRID):
        for col in range(GRID):
            cell = image[row * PATCH:(row + 1) * PATCH,
                         col * PATCH:(col + 1) * PATCH]
            cell[..., 0] += 60 * row
            cell[..., 1] += 60 * col
    return image.astype(np.uint8)


def test_detection_learns_positions_a_patch_states():
    init_default_scope('dilemma_mm')
    set_random_seed(0)
    model = MODELS.build(
        dict(
            type='DILEMMA',
            backbone=dict(
                type='DilemmaViT',
                arch=dict(
                    embed_dims=64,
                    num_layers=2,
                    num_heads=2,
                    feedforward_channels=128),
                img_size=SIZE,
                patch_size=PATCH,
                pos_embed_type='sincos'),
            data_preprocessor=dict(
                type='SelfSupDataPreprocessor',
                mean=[127.5] * 3,
                std=[64.] * 3)))
    model.init_weights()
    optim = OptimWrapper(torch.optim.AdamW(model.parameters(), lr=2e-3))
    pipeline = Compose([
        dict(
            type='TokenDropTransform',
            drop_ratio=0.5,
            misplace_prob=0.2,
            patch_size=PATCH),
        dict(type='PackInputs', algorithm_keys=['keep', 'pos'])
    ])
    rng = np.random.default_rng(0)

    def batch(size=32):
        return default_collate([
            pipeline(dict(img=position_coded_image(rng))) for _ in range(size)
        ])

    num_threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny ops: one thread is fastest on 2 cores
    try:
        model.train()
        for _ in range(200):
            log_vars = model.train_step(batch(), optim)
        model.eval()
        with torch.no_grad():
            held_out = model(
                **model.data_preprocessor(batch(256), False), mode='loss')
    finally:
        torch.set_num_threads(num_threads)
    assert log_vars['loss_dilemma'] < 0.2
    assert held_out['acc_dilemma'] > 0.95  # all-negative rate: 0.8
    assert held_out['auc_dilemma'] > 0.95
