"""Checkpoints, one module per job.

- :mod:`.download`: fetch (mirrors, resumable downloads) and verify the
  hash in a published file's name;
- :mod:`.loading`: the one loader, ``torch.load(weights_only=True)``, with
  a clear message for a file that is no checkpoint;
- :mod:`.mapping`: parameter names (DDP prefix, timm, the authors' code);
- :mod:`.fit`: loading weights that must fit a model;
- :mod:`.atomic`: writing without ever leaving a half-written file;
- :mod:`.work_dir`: the checkpoints a training run left in its work dir.
"""
from .atomic import save_atomic, write_bytes_atomic
from .download import (ChecksumError, IncompleteDownloadError,
                       download_checkpoint, map_url, sha256sum,
                       verify_checkpoint_file)
from .fit import (ModelMismatchError, PartialCheckpointError, check_model_fits,
                  load_backbone_checkpoint)
from .loading import (CheckpointFileError, UnsafeCheckpointError,
                      check_checkpoint_file, load_checkpoint_file,
                      read_checkpoint_meta, resolve_checkpoint)
from .mapping import (dilemma_mm_to_timm, extract_state_dict,
                      mmpretrain_vit_to_timm, mocov3_mlp_to_neck,
                      official_to_dilemma_mm, strip_ddp_prefix,
                      timm_to_dilemma_mm, timm_vit_to_mmpretrain)
from .work_dir import (find_resume_checkpoint, latest_checkpoint,
                       list_checkpoints, remove_orphaned_temporaries)

__all__ = [
    'CheckpointFileError', 'ChecksumError', 'IncompleteDownloadError',
    'ModelMismatchError', 'PartialCheckpointError', 'UnsafeCheckpointError',
    'check_checkpoint_file', 'check_model_fits', 'dilemma_mm_to_timm',
    'download_checkpoint', 'extract_state_dict', 'find_resume_checkpoint',
    'latest_checkpoint', 'list_checkpoints', 'load_backbone_checkpoint',
    'load_checkpoint_file', 'map_url', 'mmpretrain_vit_to_timm',
    'mocov3_mlp_to_neck', 'official_to_dilemma_mm', 'read_checkpoint_meta',
    'remove_orphaned_temporaries', 'resolve_checkpoint', 'save_atomic',
    'sha256sum', 'strip_ddp_prefix', 'timm_to_dilemma_mm',
    'timm_vit_to_mmpretrain', 'verify_checkpoint_file', 'write_bytes_atomic'
]
