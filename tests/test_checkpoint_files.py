"""Files given as checkpoints that are none (issue 19, item 9): every tool
that reads one names the file and what is wrong with it, before any work,
instead of torch's PytorchStreamReader or EOFError."""
import os
import os.path as osp
import pickle

import pytest
import torch
from conftest import REPO_ROOT, load_tool, make_image_folder

from dilemma_mm.checkpoint import (CheckpointFileError, UnsafeCheckpointError,
                                   load_checkpoint_file)

CONFIG = osp.join(
    REPO_ROOT,
    'configs/mocov3/mocov3_vit-tiny-p8-convstem_1xb128-coslr-6e_shapes.py')
DILEMMA = osp.join(
    REPO_ROOT, 'configs/dilemma/'
    'dilemma-mocov3_vit-tiny-p8-convstem_1xb128-coslr-8e_shapes.py')
LINEAR = osp.join(
    REPO_ROOT, 'configs/benchmarks/vit-tiny-p8-convstem_dilemma-mocov3-8e-'
    'pre_1xb128-linear-coslr-5e_shapes.py')

# name -> (how to make it, the sentence the tools print)
BAD_FILES = {
    'truncated.pth':
    (lambda p, good: p.write_bytes(good[:len(good) // 2]),
     'is not a usable checkpoint: it is truncated or corrupt ({size} bytes, '
     'the end of its zip archive is missing)'),
    'empty.pth': (lambda p, good: p.write_bytes(b''),
                  'is not a usable checkpoint: it is empty (0 bytes).'),
    'notes.pth':
    (lambda p, good: p.write_text('my notes\n'),
     "is not a usable checkpoint: it is not a torch checkpoint file (it "
     "starts with b'my notes')."),
    'a_dir': (lambda p, good: (p.mkdir(),
                               (p / 'epoch_1.pth').write_bytes(good)),
              'is a directory, not a checkpoint file: give a file in it, '
              'e.g. {path}/epoch_1.pth (its newest .pth).'),
}


@pytest.fixture(scope='module')
def bad_files(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp('bad_checkpoints')
    good = root / 'good.pth'
    torch.save(dict(meta=dict(), state_dict={'w': torch.zeros(1000)}), good)
    files = {}
    for name, (make, message) in BAD_FILES.items():
        make(root / name, good.read_bytes())
        path = str(root / name)
        size = osp.getsize(path) if osp.isfile(path) else 0
        files[name] = (path, message.format(size=size, path=path))
    return files


def tool_commands(path: str, tmp: str) -> dict:
    data = make_image_folder(osp.join(tmp, 'data'), per_class=1, size=32)
    image = osp.join(data, 'val', 'class_0', '000.png')
    return {
        'tools/analysis_tools/knn_eval.py': [CONFIG, path],
        'tools/test.py': [LINEAR, path, '--work-dir',
                          osp.join(tmp, 'work')],
        'tools/analysis_tools/occlusion_eval.py':
        [LINEAR, path, '--out',
         osp.join(tmp, 'occlusion', 'o.png')],
        'tools/analysis_tools/visualize_misplacement.py':
        [DILEMMA, path, image, '--out',
         osp.join(tmp, 'v.png')],
    }


@pytest.mark.parametrize('name', list(BAD_FILES))
def test_every_tool_names_the_file_and_the_problem(name, bad_files, tmp_path):
    path, message = bad_files[name]
    for tool, argv in tool_commands(path, str(tmp_path)).items():
        with pytest.raises(CheckpointFileError) as error:
            load_tool(tool).main(argv)
        assert str(error.value).startswith(f'{path} {message}'), (tool,
                                                                  error.value)
    # Refused before any work: no work dir, log or picture.
    assert sorted(os.listdir(tmp_path)) == ['data']


def test_save_random_init_refuses_a_directory(tmp_path):
    tool = load_tool('tools/misc/save_random_init.py')
    with pytest.raises(
            IsADirectoryError,
            match=f'{tmp_path} is a directory: give the '
            'checkpoint file to write, e.g. '
            f'{tmp_path}/random_init.pth'):
        tool.main([CONFIG, str(tmp_path)])
    out = tmp_path / 'random_init.pth'
    tool.main([
        CONFIG,
        str(out), '--cfg-options', 'model.backbone.arch.num_layers=1'
    ])
    assert load_checkpoint_file(str(out))['meta']['random_init']
    assert os.listdir(tmp_path) == ['random_init.pth']  # no temporary left


def test_code_is_refused_by_name_and_legacy_files_load(tmp_path):

    class Exploit:

        def __reduce__(self):
            return (os.system, (f'touch {tmp_path}/pwned', ))

    evil = tmp_path / 'evil.pth'
    evil.write_bytes(pickle.dumps({'x': Exploit()}, protocol=2))
    with pytest.raises(
            UnsafeCheckpointError,
            match=f'{evil} was refused: it refers to '
            r'(posix|nt)\.system, which '
            r'torch.load\(weights_only=True\) does not load'):
        load_checkpoint_file(str(evil))
    assert not (tmp_path / 'pwned').exists()
    # torch's format before 1.6 is a pickle and cannot be mapped: it loads.
    legacy = tmp_path / 'legacy.pth'
    torch.save({'w': torch.ones(2)},
               legacy,
               _use_new_zipfile_serialization=False)
    assert torch.equal(
        load_checkpoint_file(str(legacy), mmap=True)['w'], torch.ones(2))
    with pytest.raises(FileNotFoundError, match='checkpoint not found: '):
        load_checkpoint_file(str(tmp_path / 'missing.pth'))
