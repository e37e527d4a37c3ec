# MAE baseline, ViT-B/16 on ImageNet-100: mmpretrain's MAE recipe of
# mae_vit-base-p16_8xb512-amp-coslr-300e_in1k.py on the 100-class subset,
# with batch 8 x 64 (lr 1.5e-4 x 512 / 256) for a tenth of the images.
# ImageNet-100 is an annotation file over the ImageNet folder:
# data/imagenet/meta/train_in100.txt lists the training images of the 100
# classes ("<wnid>/<file> <label>" lines, relative to data/imagenet/train/),
# as tools/dataset_converters/make_imagenet100.py writes it.
_base_ = './mae_vit-base-p16_8xb512-amp-coslr-300e_in1k.py'

train_dataloader = dict(
    batch_size=64, dataset=dict(ann_file='meta/train_in100.txt'))
optim_wrapper = dict(optimizer=dict(lr=1.5e-4 * 512 / 256))
auto_scale_lr = dict(base_batch_size=512)
