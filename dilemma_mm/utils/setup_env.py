"""Set up the process for dilemma_mm: registries' default scope and the
compatibility fixes of :mod:`dilemma_mm.utils.compat`."""
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every dilemma_mm component and make ``dilemma_mm`` the default
    scope (mmpretrain's and mmengine's components resolve through it)."""
    import dilemma_mm  # noqa: F401  (importing registers the components)
    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None or current.scope_name != 'dilemma_mm':
        if current is not None:
            warnings.warn(f'The current default scope "{current.scope_name}" '
                          'is not "dilemma_mm"; a new default scope named '
                          'dilemma_mm is created.')
        DefaultScope.get_instance(
            f'dilemma_mm-{datetime.datetime.now()}', scope_name='dilemma_mm')


def setup_env(init_default_scope: bool = True) -> None:
    """Apply the compatibility fixes and register all modules."""
    from .compat import apply_compat_patches
    apply_compat_patches()
    register_all_modules(init_default_scope)
