# SimCLR's two views of ImageNet (mmpretrain's imagenet_bs32_simclr: colour
# jitter 0.8 with probability 0.8, blur 0.5), 256 images per GPU; ImageNet
# read and normalised as ./imagenet_bs512_mae.py does.
_base_ = ['./imagenet_bs512_mae.py', './simclr_augment.py']

view_pipeline = [
    dict(type='RandomResizedCrop', scale=224, backend='pillow'),
    *_base_.simclr_augment,
]
train_pipeline = [
    dict(type='LoadImageFromFileSafe'),  # skips bad files
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs')
]

train_dataloader = dict(batch_size=256, dataset=dict(pipeline=train_pipeline))
