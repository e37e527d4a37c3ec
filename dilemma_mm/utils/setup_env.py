"""Set up a process for dilemma_mm: compatibility fixes, registration and the
default scope."""
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Register every dilemma_mm and mmpretrain component.

    Args:
        init_default_scope (bool): Make ``dilemma_mm`` the default scope, so
            that our names and, through the parent registries, mmpretrain's
            and mmengine's resolve without a prefix. Defaults to True.
    """
    import dilemma_mm  # noqa: F401  (importing registers everything)
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
    """Apply the compatibility fixes and register all modules.

    Args:
        init_default_scope (bool): See :func:`register_all_modules`.
    """
    from .compat import apply_compat_patches
    apply_compat_patches()
    register_all_modules(init_default_scope)
