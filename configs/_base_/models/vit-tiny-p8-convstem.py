# The ViT of the CPU recipes: 4 layers, 192 wide, 3 heads, fixed 2D sin-cos
# positions, and a convolutional stem (ConvStem: 3x3 stride-2 convs of 24,
# 48 and 96 channels, trained) on 32 px images cut into 8 px patches (16
# tokens). With the stem this ViT learns the shape data from labels in
# minutes on a CPU, without it far slower (configs/dilemma/README.md).
embed_dims = 192
backbone = dict(
    type='DilemmaViT',
    arch=dict(
        embed_dims=embed_dims,
        num_layers=4,
        num_heads=3,
        feedforward_channels=4 * embed_dims),
    img_size=32,
    patch_size=8,
    pos_embed_type='sincos',
    conv_stem_channels=[24, 48, 96])
