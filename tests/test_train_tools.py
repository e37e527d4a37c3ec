"""The command line trains for real: two gloo processes, resume, a kill
while saving, --amp on CPU, and clear errors for bad input."""
import glob
import os
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch
from conftest import REPO_ROOT, run_tool

CONFIG = 'configs/mocov3/mocov3_vit-tiny-p8-convstem_1xb128-coslr-6e_shapes.py'


def tiny_options(data_root: str, max_epochs: int, *extra: str) -> list:
    """Shrink the CPU recipe to seconds: 1 layer, batch 4, no workers."""
    return [
        '--cfg-options', f'train_dataloader.dataset.data_root={data_root}',
        'train_dataloader.batch_size=4', 'train_dataloader.num_workers=0',
        f'train_cfg.max_epochs={max_epochs}',
        'model.backbone.arch.num_layers=1', 'default_hooks.logger.interval=1',
        *extra
    ]


def load(path: str) -> dict:
    import dilemma_mm  # noqa: F401  (allowlists mmengine's classes)
    return torch.load(path, map_location='cpu', weights_only=True)


def logged_losses(work_dir: str) -> list:
    losses = []
    for log in glob.glob(osp.join(work_dir, '*', '*.log')):
        losses += [
            float(v) for v in re.findall(r' loss: ([-\d.e+naif]+)',
                                         open(log).read())
        ]
    return losses


def test_dist_train_two_cpu_processes(tiny_image_folder, tmp_path):
    work_dir = tmp_path / 'dist'
    proc = run_tool(
        ['tools/dist_train.sh', CONFIG, '2', '--work-dir', work_dir] +
        tiny_options(tiny_image_folder, 1),
        env=dict(PYTHON=sys.executable, PORT='29517'))
    # Both ranks ran: torchrun reports per-rank failures, and the world size
    # of 2 halves the iterations per epoch (16 images / (4 * 2) = 2).
    assert 'Distributed training: True' in proc.stdout
    assert re.search(r'Epoch\(train\) \[1\]\[2/2\]', proc.stdout)
    assert sorted(os.listdir(work_dir)).count('epoch_1.pth') == 1
    assert not glob.glob(str(work_dir / 'epoch_2.pth'))
    losses = logged_losses(str(work_dir))
    assert losses and all(torch.isfinite(torch.tensor(losses)))
    ckpt = load(str(work_dir / 'epoch_1.pth'))
    assert ckpt['meta']['epoch'] == 1 and ckpt['meta']['iter'] == 2


def test_resume_matches_uninterrupted_run(tiny_image_folder, tmp_path):
    straight, resumed = tmp_path / 'straight', tmp_path / 'resumed'
    run_tool(['tools/train.py', CONFIG, '--work-dir', straight] +
             tiny_options(tiny_image_folder, 3))
    run_tool(['tools/train.py', CONFIG, '--work-dir', resumed] +
             tiny_options(tiny_image_folder, 2))
    assert not (resumed / 'epoch_3.pth').exists()
    proc = run_tool(
        ['tools/train.py', CONFIG, '--work-dir', resumed, '--resume'] +
        tiny_options(tiny_image_folder, 3))
    assert 'resumed epoch: 2, iter: 8' in proc.stdout
    # Training went on at epoch 3, not from scratch.
    assert 'Epoch(train) [3]' in proc.stdout
    assert 'Epoch(train) [1]' not in proc.stdout

    a, b = load(str(straight / 'epoch_3.pth')), load(
        str(resumed / 'epoch_3.pth'))
    assert (a['meta']['epoch'], a['meta']['iter']) == (3, 12)
    assert (b['meta']['epoch'], b['meta']['iter']) == (3, 12)
    lr_a = [g['lr'] for g in a['optimizer']['param_groups']]
    lr_b = [g['lr'] for g in b['optimizer']['param_groups']]
    assert lr_a == pytest.approx(lr_b, rel=1e-9)
    steps_a = [s['step'] for s in a['optimizer']['state'].values()]
    steps_b = [s['step'] for s in b['optimizer']['state'].values()]
    assert steps_a == steps_b and float(steps_a[0]) == 12
    assert a['param_schedulers'] == b['param_schedulers']
    hub_a, hub_b = a['message_hub'], b['message_hub']
    assert hub_a['runtime_info']['iter'] == hub_b['runtime_info']['iter']
    assert hub_a['runtime_info']['epoch'] == hub_b['runtime_info']['epoch']
    # The resumed run's log buffers continue the first run's: 8 + 4 records.
    count = hub_b['log_scalars']['train/loss']._log_history.size
    assert count == hub_a['log_scalars']['train/loss']._log_history.size


KILL_WHILE_SAVING = '''
import os, signal, sys
sys.path.insert(0, {tools!r})
real_replace = os.replace

def replace_then_die(src, dst, *args, **kwargs):
    # The bytes of epoch_2.pth are on disk, the rename has not happened.
    if str(dst).endswith('epoch_2.pth'):
        os.kill(os.getpid(), signal.SIGKILL)
    return real_replace(src, dst, *args, **kwargs)

os.replace = replace_then_die
import train
train.main(sys.argv[1:])
'''


def test_kill_while_saving_keeps_last_good_checkpoint(tiny_image_folder,
                                                      tmp_path):
    work_dir = tmp_path / 'killed'
    driver = tmp_path / 'driver.py'
    driver.write_text(
        KILL_WHILE_SAVING.format(tools=osp.join(REPO_ROOT, 'tools')))
    proc = run_tool(
        [driver, CONFIG, '--work-dir', work_dir] +
        tiny_options(tiny_image_folder, 3),
        check=False)
    assert proc.returncode == -9, proc.stdout[-3000:]
    assert not (work_dir / 'epoch_2.pth').exists()
    assert (work_dir / 'last_checkpoint').read_text().endswith('epoch_1.pth')
    for path in glob.glob(str(work_dir / '*.pth')):
        load(path)  # every checkpoint under its final name is complete

    proc = run_tool(
        ['tools/train.py', CONFIG, '--work-dir', work_dir, '--resume'] +
        tiny_options(tiny_image_folder, 3))
    assert 'resumed epoch: 1, iter: 4' in proc.stdout
    assert load(str(work_dir / 'epoch_3.pth'))['meta']['iter'] == 12


def test_amp_on_cpu_trains_in_bf16(tiny_image_folder, tmp_path):
    proc = run_tool(
        ['tools/train.py', CONFIG, '--amp', '--work-dir', tmp_path] +
        tiny_options(tiny_image_folder, 1))
    assert 'CPUBf16OptimWrapper' in proc.stdout
    losses = logged_losses(str(tmp_path))
    assert losses and all(torch.isfinite(torch.tensor(losses)))


@pytest.mark.parametrize('args, message', [
    (['configs/no/such_config.py'], 'config file not found: '
     'configs/no/such_config.py'),
    ([CONFIG, '--cfg-options', 'model.type=MoCoV4'
      ], 'MoCoV4 is not in the dilemma_mm::model registry'),
    ([CONFIG, '--resume', 'no_such.pth'
      ], '--resume: checkpoint not found: no_such.pth'),
])
def test_bad_input_fails_at_start_with_named_problem(args, message, tmp_path):
    proc = run_tool(['tools/train.py', *args, '--work-dir', tmp_path],
                    check=False)
    assert proc.returncode != 0
    assert message in proc.stdout


def test_out_of_range_value_names_key_and_allowed_range(
        tiny_image_folder, tmp_path):
    config = ('configs/dilemma/'
              'dilemma-mocov3_vit-tiny-p8-convstem_1xb128-coslr-8e_shapes.py')
    proc = run_tool(
        ['tools/train.py', config, '--work-dir', tmp_path] + tiny_options(
            tiny_image_folder, 1, 'train_dataloader.dataset.pipeline.2.'
            'drop_ratio=1.5'),
        check=False)
    assert proc.returncode != 0
    assert 'drop_ratio must be in [0, 1), got 1.5' in proc.stdout
    assert 'Epoch(train)' not in proc.stdout  # failed before training
    assert not list(tmp_path.glob('*.pth'))


def test_unknown_type_suggests_registered_names(tmp_path):
    proc = run_tool([
        'tools/train.py', CONFIG, '--work-dir', tmp_path, '--cfg-options',
        'model.type=MoCoV'
    ],
                    check=False)
    assert proc.returncode != 0
    assert 'did you mean' in proc.stdout and "'MoCoV3'" in proc.stdout


def test_tools_refuse_missing_checkpoint(tmp_path):
    proc = run_tool(['tools/test.py', CONFIG,
                     str(tmp_path / 'none.pth')],
                    check=False)
    assert proc.returncode != 0
    assert 'checkpoint not found' in proc.stdout


def test_dist_train_usage_message():
    proc = subprocess.run(['bash', 'tools/dist_train.sh'],
                          cwd=REPO_ROOT,
                          stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT,
                          text=True)
    assert proc.returncode == 2 and 'usage:' in proc.stdout
