# The MoCo v3 ViT-B/16 baseline, exactly mmpretrain's recipe, run in our scope.
_base_ = 'mmpretrain::mocov3/mocov3_vit-base-p16_16xb256-amp-coslr-300e_in1k.py'  # noqa: E501

default_scope = 'dilemma_mm'
