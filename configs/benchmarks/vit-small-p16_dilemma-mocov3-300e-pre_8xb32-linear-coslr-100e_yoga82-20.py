# YOGA-82 at level 20: the recipe of the _yoga82-82 config of the
# same name.
_base_ = './vit-small-p16_dilemma-mocov3-300e-pre_8xb32-linear-coslr-100e_yoga82-82.py'  # noqa: E501

data_preprocessor = dict(num_classes=20)
train_dataloader = dict(dataset=dict(level=20))
val_dataloader = test_dataloader = dict(dataset=dict(level=20))
model = dict(head=dict(num_classes=20))
