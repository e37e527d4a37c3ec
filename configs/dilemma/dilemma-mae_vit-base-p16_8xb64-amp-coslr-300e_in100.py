# DILEMMA + MAE, ViT-B/16 on ImageNet-100 (where the paper reports MAE +
# DILEMMA's fine-tuning gain): the recipe of dilemma-mae_vit-base-p16_8xb512-
# amp-coslr-300e_in1k.py with the data and batch of the baseline
# ../mae/mae_vit-base-p16_8xb64-amp-coslr-300e_in100.py (ImageNet-100 as the
# annotation file data/imagenet/meta/train_in100.txt over the ImageNet
# folder, from tools/dataset_converters/make_imagenet100.py).
_base_ = './dilemma-mae_vit-base-p16_8xb512-amp-coslr-300e_in1k.py'

train_dataloader = dict(
    batch_size=64, dataset=dict(ann_file='meta/train_in100.txt'))
optim_wrapper = dict(optimizer=dict(lr=1.5e-4 * 512 / 256))
auto_scale_lr = dict(base_batch_size=512)
