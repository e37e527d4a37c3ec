def apply_compat_patches():
    pass
