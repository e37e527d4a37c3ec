"""The project's own registry, scope ``example_project``, a child of
mmpretrain's: configs name its components ``example_project.X`` and
dilemma_mm's ``dilemma_mm.X`` from mmpretrain's default scope."""
from mmengine.registry import Registry
from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS

MODELS = Registry(
    'model',
    parent=MMPRETRAIN_MODELS,
    scope='example_project',
    locations=['example_project'])
