# ImageNet-100 (CMC's 100-class subset, read from the ImageNet folder) with
# the recipe of the _in1k config of the same name.
# Make the annotation files once with
#   python tools/dataset_converters/make_imagenet100.py data/imagenet
_base_ = './vit-small-p16_dilemma-mocov3-300e-pre_8xb128-ft-coslr-100e_in1k.py'  # noqa: E501

in100 = dict(
    data_root='data/imagenet/', classes='data/imagenet/meta/classes_in100.txt')
data_preprocessor = dict(num_classes=100)
train_dataloader = dict(dataset=dict(in100, ann_file='meta/train_in100.txt'))
val_dataloader = dict(dataset=dict(in100, ann_file='meta/val_in100.txt'))
test_dataloader = val_dataloader
model = dict(head=dict(num_classes=100))
