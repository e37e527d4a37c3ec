# YOGA-82 at level 82 (set train/val/test dataset.level and the head's
# num_classes for 6 or 20). Run tools/dataset_converters/prepare_yoga82.py
# data/yoga82 first: it drops missing and truncated images and writes the
# yoga_{train,test}_clean.txt read here. A file that breaks later is skipped
# in training (LoadImageFromFileSafe draws another image) and named in the
# error at test time.
_base_ = './imagenet_bs64_swin_224.py'

dataset_type = 'YOGA82'
data_root = 'data/yoga82/'
data_preprocessor = dict(num_classes=82)

# ImageNet fine-tuning's pipelines, without RandAugment and random erasing
# in training: the crop and the flip (a mirrored pose is the same pose).
train_pipeline = [*_base_.train_pipeline[:3], _base_.train_pipeline[-1]]

yoga82 = dict(type=dataset_type, data_root=data_root, level=82)
loader = dict(
    num_workers=4,
    persistent_workers=True,
    collate_fn=dict(type='default_collate'))
train_dataloader = dict(
    batch_size=32,
    dataset=dict(
        yoga82, ann_file='yoga_train_clean.txt', pipeline=train_pipeline),
    **loader)
val_dataloader = dict(
    dataset=dict(yoga82, split='test', ann_file='yoga_test_clean.txt'),
    **loader)
test_dataloader = val_dataloader
