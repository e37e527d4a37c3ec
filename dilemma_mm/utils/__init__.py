from .config import (add_train_check_hooks, check_cfg_options, check_hook_args,
                     explain_build_errors, load_config)
from .teardown import finish_run

__all__ = [
    'add_train_check_hooks', 'check_cfg_options', 'check_hook_args',
    'explain_build_errors', 'finish_run', 'load_config'
]
