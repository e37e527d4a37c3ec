from ..checkpoint import (ChecksumError, IncompleteDownloadError,
                          download_checkpoint, load_checkpoint_file, map_url,
                          verify_checkpoint_file)
from .model import (get_model, get_model_info, init_model, list_models,
                    register_model_index, unregister_model_index)

__all__ = [
    'ChecksumError', 'IncompleteDownloadError', 'download_checkpoint',
    'get_model', 'get_model_info', 'init_model', 'list_models',
    'load_checkpoint_file', 'map_url', 'register_model_index',
    'unregister_model_index', 'verify_checkpoint_file'
]
