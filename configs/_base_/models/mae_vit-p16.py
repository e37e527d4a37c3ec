# MAE with a ViT and 16 px patches (mmpretrain's recipe): mask ratio 0.75,
# an 8-block, 512-wide decoder and the normalised-pixel L2 loss. The config
# sets the encoder: backbone.arch and neck.embed_dim.
model = dict(
    type='MAE',
    backbone=dict(type='MAEViT', patch_size=16, mask_ratio=0.75),
    neck=dict(
        type='MAEPretrainDecoder',
        patch_size=16,
        in_chans=3,
        decoder_embed_dim=512,
        decoder_depth=8,
        decoder_num_heads=16,
        mlp_ratio=4.,
    ),
    head=dict(
        type='MAEPretrainHead',
        norm_pix=True,
        patch_size=16,
        loss=dict(type='PixelReconstructionLoss', criterion='L2')),
    init_cfg=[
        dict(type='Xavier', layer='Linear', distribution='uniform'),
        dict(type='Constant', layer='LayerNorm', val=1.0, bias=0.0)
    ])
