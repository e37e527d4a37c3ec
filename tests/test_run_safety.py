"""No silent wrong runs and no lost work (issue 11): bad images, odd
dataset sizes, reruns over earlier checkpoints, broken resume pointers and
config typos, each through the real ``tools/train.py``."""
import hashlib
import json
import os
import os.path as osp
import re
import shutil

import numpy as np
import pytest
from conftest import REPO_ROOT, make_image_folder, run_tool
from PIL import Image
from test_train_tools import CONFIG, tiny_options


def digest(path) -> str:
    return hashlib.sha256(open(path, 'rb').read()).hexdigest()


def train(work_dir, data_root, max_epochs, *extra, config=CONFIG, **kw):
    return run_tool(['tools/train.py', config, '--work-dir', work_dir] +
                    tiny_options(data_root, max_epochs, *extra), **kw)


def add_bad_images(class_dir: str) -> list:
    """An empty PNG, a truncated JPEG, a text file named .jpg and a 1x1
    PNG; returns their paths."""
    pixels = np.random.default_rng(0).integers(0, 256, (32, 32, 3), np.uint8)
    good_jpg = osp.join(class_dir, 'good.jpg')
    Image.fromarray(pixels).save(good_jpg)
    data = open(good_jpg, 'rb').read()
    os.remove(good_jpg)
    bad = {
        'empty.png': b'',
        'truncated.jpg': data[:len(data) // 2],
        'text.jpg': b'this is not an image\n',
    }
    for name, content in bad.items():
        with open(osp.join(class_dir, name), 'wb') as f:
            f.write(content)
    Image.fromarray(pixels[:1, :1]).save(osp.join(class_dir, 'tiny.png'))
    return [osp.join(class_dir, n) for n in [*bad, 'tiny.png']]


SAFE_CONFIG = '''_base_ = [{base!r}]
train_dataloader = dict(drop_last=True)
custom_hooks = [dict(type='BadImageHook', max_fraction={fraction})]
'''


@pytest.mark.parametrize('workers', [0, 2])
def test_bad_images_are_skipped_named_once_and_bounded(workers, tmp_path):
    # Probe 1 (and 6: a 1x1 image): 24 good, 4 bad images. With workers the
    # skips happen in (persistent) worker processes, not in the one that
    # logs and counts them. The recipe's own loader is used, not an
    # override, so a config that loses LoadImageFromFileSafe fails here.
    root = make_image_folder(str(tmp_path / 'data'), per_class=12, size=32)
    bad = add_bad_images(osp.join(root, 'train', 'class_0'))
    config = tmp_path / 'safe.py'
    config.write_text(
        SAFE_CONFIG.format(base=osp.join(REPO_ROOT, CONFIG), fraction=0.5))
    loader = f'train_dataloader.num_workers={workers}'
    proc = train(tmp_path / 'skip', root, 2, loader, config=config)
    for path in bad:
        assert proc.stdout.count(f'Skipping unreadable image {path}') == 1
    assert 'min_size=16' in proc.stdout  # the 1x1 image
    # Every epoch loads each of the 28 indices, so all 4 bad files, again.
    for epoch in (1, 2):
        assert re.search(
            rf'Epoch {epoch}: skipped \d+ unreadable image loads \(4 files\) '
            'of 28', proc.stdout), epoch
    assert (tmp_path / 'skip' / 'epoch_2.pth').exists()

    # Above the threshold (the default 1 %) the run stops and lists them.
    config.write_text(
        SAFE_CONFIG.format(base=osp.join(REPO_ROOT, CONFIG), fraction=0.01))
    proc = train(
        tmp_path / 'stop', root, 1, loader, config=config, check=False)
    assert proc.returncode != 0
    assert 'TooManyBadImagesError' in proc.stdout
    assert 'the data set copy looks broken' in proc.stdout
    listing = proc.stdout[proc.stdout.index('Files (also in'):]
    assert any(f'  {path}: ' in listing for path in bad)
    assert not list((tmp_path / 'stop').glob('*.pth'))


def test_batch_the_model_cannot_train_on_is_refused_at_start(tmp_path):
    # Probe 2: 17 images in batches of 4 leave a last batch of 1 for the
    # BatchNorm layers of MoCo v3's neck.
    root = make_image_folder(str(tmp_path / 'data'), per_class=8, size=32)
    shutil.copy(
        osp.join(root, 'train', 'class_0', '000.png'),
        osp.join(root, 'train', 'class_0', 'extra.png'))
    # The shape configs drop it; a config that keeps it is refused.
    proc = train(
        tmp_path / 'one',
        root,
        1,
        'train_dataloader.drop_last=False',
        check=False)
    assert proc.returncode != 0
    assert ('the train set gives 17 samples in total: with '
            'train_dataloader.batch_size=4 the last batch of every epoch '
            'holds 1 sample') in proc.stdout
    assert 'Epoch(train)' not in proc.stdout
    # What the pretraining configs do: drop the partial batch.
    proc = train(tmp_path / 'drop', root, 1, 'train_dataloader.drop_last=True')
    assert re.search(r'Epoch\(train\) \[1\]\[4/4\]', proc.stdout)
    assert (tmp_path / 'drop' / 'epoch_1.pth').exists()
    # A data set smaller than one batch: both sizes named.
    proc = train(
        tmp_path / 'small',
        root,
        1,
        'train_dataloader.drop_last=True',
        'train_dataloader.batch_size=32',
        check=False)
    assert proc.returncode != 0
    assert ('the train set gives 17 samples in total, fewer than one batch '
            'of train_dataloader.batch_size=32') in proc.stdout


def test_rerun_refuses_to_overwrite_and_resume_recovers(
        tiny_image_folder, tmp_path):
    # Probe 4, and 6: empty or dangling pointer, orphaned temporary file.
    work_dir = tmp_path / 'run'
    train(work_dir, tiny_image_folder, 1)
    ckpt = work_dir / 'epoch_1.pth'
    before = digest(ckpt)

    proc = train(work_dir, tiny_image_folder, 1, check=False)
    assert proc.returncode != 0
    assert 'already holds checkpoints of an earlier run (epoch_1.pth)' in (
        proc.stdout)
    assert 'Add --resume to continue it' in proc.stdout
    assert digest(ckpt) == before

    # Another config's run in the dir is refused with or without --resume,
    # and named (from the checkpoint's meta).
    other = tmp_path / 'other_config.py'
    other.write_text(f'_base_ = [{osp.join(REPO_ROOT, CONFIG)!r}]\n')
    earlier = osp.splitext(osp.basename(CONFIG))[0]
    for resume in ([], ['--resume']):
        proc = run_tool(
            ['tools/train.py', other, '--work-dir', work_dir, *resume] +
            tiny_options(tiny_image_folder, 1),
            check=False)
        assert proc.returncode != 0
        assert (f'OtherRunError: {work_dir} holds checkpoints of a run of '
                f'another config, {earlier} (epoch_1.pth), not of '
                'other_config. Starting or resuming here would mix the two '
                'runs: pass --work-dir with a new directory') in proc.stdout
        assert 'Epoch(train)' not in proc.stdout
        assert digest(ckpt) == before

    (work_dir / 'last_checkpoint').write_text('')
    orphan = work_dir / '.epoch_2.pth.x1y2.tmp'
    orphan.write_bytes(b'half a checkpoint')
    proc = run_tool(
        ['tools/train.py', CONFIG, '--work-dir', work_dir, '--resume'] +
        tiny_options(tiny_image_folder, 2))
    assert f'Removed {orphan}' in proc.stdout and not orphan.exists()
    assert (f'{work_dir}/last_checkpoint is empty; resuming from {ckpt}'
            in proc.stdout)
    assert 'resumed epoch: 1, iter: 4' in proc.stdout
    assert digest(ckpt) == before
    assert (work_dir / 'last_checkpoint').read_text() == str(work_dir /
                                                             'epoch_2.pth')

    # A pointer to a deleted file falls back to the newest that loads.
    (work_dir / 'epoch_2.pth').unlink()
    proc = run_tool(
        ['tools/train.py', CONFIG, '--work-dir', work_dir, '--resume'] +
        tiny_options(tiny_image_folder, 2))
    assert (f'names {work_dir}/epoch_2.pth, which does not exist; resuming '
            f'from {ckpt}') in proc.stdout

    # --force starts fresh and keeps the earlier checkpoints aside.
    proc = run_tool(
        ['tools/train.py', CONFIG, '--work-dir', work_dir, '--force'] +
        tiny_options(tiny_image_folder, 1))
    [kept] = work_dir.glob('previous_*/epoch_1.pth')
    assert digest(kept) == before
    assert 'Epoch(train) [1]' in proc.stdout


def test_other_run_named_from_the_dumped_config(tmp_path):
    # A checkpoint without mmengine's meta: the config the runner dumped
    # into the work dir names the earlier run.
    import torch

    from dilemma_mm.engine.preflight import (OtherRunError,
                                             WorkDirNotEmptyError,
                                             refuse_to_overwrite)
    torch.save(dict(meta=dict(), state_dict={}), tmp_path / 'epoch_3.pth')
    with pytest.raises(WorkDirNotEmptyError, match='Add --resume') as error:
        refuse_to_overwrite(str(tmp_path), run_name='mine')
    assert not isinstance(error.value, OtherRunError)
    (tmp_path / 'theirs.py').write_text('')
    with pytest.raises(OtherRunError, match='another config, theirs '):
        refuse_to_overwrite(str(tmp_path), run_name='mine')
    (tmp_path / 'mine.py').write_text('')
    with pytest.raises(WorkDirNotEmptyError, match='Add --resume'):
        refuse_to_overwrite(str(tmp_path), run_name='mine')


@pytest.mark.parametrize('option, message', [
    ('train_cfgg.max_epochs=5', "the config has no key 'train_cfgg'; did "
     "you mean 'train_cfg'?"),
    ('default_hooks.checkpoint.intervall=1', "default_hooks.checkpoint: "
     "CheckpointHook takes no argument 'intervall'; did you mean "
     "'interval'?"),
])
def test_config_typos_fail_before_training(option, message, tmp_path):
    # Probe 6: typos in --cfg-options and in hook arguments.
    proc = run_tool([
        'tools/train.py', CONFIG, '--work-dir', tmp_path, '--cfg-options',
        option
    ],
                    check=False)
    assert proc.returncode != 0
    assert message in proc.stdout
    assert not list(tmp_path.glob('*.pth'))


def test_new_key_on_purpose_with_plus(tmp_path):
    from mmengine.config import Config

    from dilemma_mm.utils import check_cfg_options
    cfg = Config(dict(train_cfg=dict(max_epochs=1)))
    assert check_cfg_options(cfg, {'+extra.x': 1}) == {'extra.x': 1}
    with pytest.raises(KeyError, match='write \\+extra.x'):
        check_cfg_options(cfg, {'extra.x': 1})


LINEAR = ('configs/benchmarks/vit-tiny-p8-convstem_dilemma-mocov3-8e-pre_'
          '1xb128-linear-coslr-5e_shapes.py')


def linear_options(data_root: str, num_layers: int, *extra: str) -> list:
    """The shape linear probe on 6 classes of 2 images, batch 4, 1 epoch,
    with a backbone of ``num_layers``."""
    options = [
        f'model.backbone.arch.num_layers={num_layers}',
        f'model.backbone.frozen_stages={num_layers}',
        'model.head.num_classes=6', 'data_preprocessor.num_classes=6',
        'train_cfg.max_epochs=1'
    ]
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options += [
            f'{loader}.dataset.data_root={data_root}',
            f'{loader}.batch_size=4', f'{loader}.num_workers=0',
            f'{loader}.persistent_workers=False'
        ]
    return ['--cfg-options', *options, *extra]


def test_linear_probe_refuses_a_partial_pretrained_backbone(tmp_path):
    # Issue 11, loading: Pretrained init_cfg loads with strict=False and only
    # warns; a 1-layer pretraining checkpoint on the 2-layer probe is refused
    # before training, or trained on with --allow-partial.
    from test_benchmark_configs import tiny_pretraining_checkpoint
    pretrained = str(tmp_path / 'pretrain.pth')
    tiny_pretraining_checkpoint('dilemma', pretrained)
    before = digest(pretrained)
    root = make_image_folder(str(tmp_path / 'data'), 6, per_class=2, size=32)
    work_dir = tmp_path / 'linear'
    tool = ['tools/train.py', LINEAR, '--work-dir', work_dir] + linear_options(
        root, 2, f'model.backbone.init_cfg.checkpoint={pretrained}')
    proc = run_tool(tool, check=False)
    assert proc.returncode == 1
    assert (f'PartialCheckpointError: {pretrained} does not fit '
            'model.backbone (from model.backbone.init_cfg): missing keys 12 '
            '(layers.1.ln1.weight, ') in proc.stdout
    assert 'Epoch(train)' not in proc.stdout
    assert not list(work_dir.glob('*.pth'))

    proc = run_tool(tool[:2] + ['--allow-partial'] + tool[2:])
    assert f"loading {pretrained}: missing keys ['layers.1." in proc.stdout
    assert 'Epoch(train) [1][3/3]' in proc.stdout
    assert (work_dir / 'epoch_1.pth').is_file()
    assert digest(pretrained) == before


def test_test_tool_refuses_a_partial_checkpoint(tmp_path):
    # Issue 11, loading: tools/test.py loads through the runner's load_from
    # (strict=False, a warning); a 1-layer classifier checkpoint on the
    # 2-layer config is refused, or evaluated with the keys in the JSON.
    import torch
    from mmengine.registry import init_default_scope

    from dilemma_mm.registry import MODELS
    from dilemma_mm.utils import load_config
    cfg = load_config(osp.join(REPO_ROOT, LINEAR))
    cfg.merge_from_dict({
        'model.backbone.arch.num_layers': 1,
        'model.backbone.frozen_stages': 1,
        'model.backbone.init_cfg': None,
        'model.head.num_classes': 6
    })
    init_default_scope('dilemma_mm')
    checkpoint = str(tmp_path / 'linear.pth')
    torch.save(
        dict(meta=dict(), state_dict=MODELS.build(cfg.model).state_dict()),
        checkpoint)
    root = make_image_folder(str(tmp_path / 'data'), 6, per_class=2, size=32)
    tool = ['tools/test.py', LINEAR, checkpoint, '--work-dir', tmp_path / 'w'
            ] + linear_options(root, 2)
    proc = run_tool(tool, check=False)
    assert proc.returncode == 1
    assert (f'PartialCheckpointError: {checkpoint} does not fit the model: '
            'missing keys 12 (backbone.layers.1.ln1.weight, ') in proc.stdout
    assert 'accuracy/top1' not in proc.stdout

    proc = run_tool(tool[:3] + ['--allow-partial'] + tool[3:])
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert 'accuracy/top1' in result
    missing = result['partial_load']['missing_keys']
    assert len(missing) == 12 and all(
        key.startswith('backbone.layers.1.') for key in missing)
    assert result['partial_load']['unexpected_keys'] == []
