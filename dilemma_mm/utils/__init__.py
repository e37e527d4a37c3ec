from .config import load_config
from .setup_env import register_all_modules, setup_env

__all__ = ['load_config', 'register_all_modules', 'setup_env']
