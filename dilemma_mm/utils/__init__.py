from .config import explain_build_errors, load_config
from .setup_env import register_all_modules, setup_env

__all__ = [
    'explain_build_errors', 'load_config', 'register_all_modules', 'setup_env'
]
