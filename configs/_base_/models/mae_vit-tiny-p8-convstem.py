# MAE with the CPU recipes' ViT (./vit-tiny-p8-convstem.py) as encoder, a
# 2-block, 128-wide decoder and the normalised-pixel L2 loss on the masked
# patches. The data pipeline draws MAE's mask (TokenDropTransform, drop
# ratio = mask ratio 0.75: 4 of 16 tokens visible), so the model is
# DilemmaMAE; with misplace_prob=0 in the pipeline and the misplacement
# loss weighted 0 it is MAE (the same loss on the same masks). The conv
# stem's receptive field reaches 3-4 px into the neighbouring patches, so
# a visible token sees the rim of its masked neighbours: the task is a
# little easier than with MAE's linear projection.
_base_ = './vit-tiny-p8-convstem.py'

mask_ratio = 0.75
model = dict(
    type='DilemmaMAE',
    backbone=dict(
        _base_.backbone, type='DilemmaMAEViT', mask_ratio=mask_ratio),
    neck=dict(
        type='MAEPretrainDecoder',
        num_patches=16,
        patch_size=8,
        embed_dim=_base_.embed_dims,
        decoder_embed_dim=128,
        decoder_depth=2,
        decoder_num_heads=4),
    head=dict(
        type='MAEPretrainHead',
        norm_pix=True,
        patch_size=8,
        loss=dict(type='PixelReconstructionLoss', criterion='L2')),
    misplacement_head=dict(type='MisplacementHead', loss_weight=0.),
    init_cfg=[
        dict(type='Xavier', layer='Linear', distribution='uniform'),
        dict(type='Constant', layer='LayerNorm', val=1.0, bias=0.0)
    ])
