"""tools/analysis_tools/gpu_smoke.sh, shrunk to run on a CPU: the generated
ImageNet-style folder with its annotation file, two --amp epochs of the
paper-scale recipe through dist_train.sh, and a resume to a third. The
recipe runs at 64 px with narrower heads (TRAIN_OPTS): at 224 px this one
test took 233 s of the suite's 986."""
import os
import os.path as osp
import sys

from conftest import run_tool

from dilemma_mm.datasets.generators import SHAPE_CLASSES


def test_gpu_smoke_trains_and_resumes_on_cpu(tmp_path):
    out = tmp_path / 'smoke'
    crops = 'train_dataloader.dataset.pipeline.1.transforms'
    shrink = [
        'model.backbone.img_size=64', f'{crops}.0.0.scale=64',
        f'{crops}.1.0.scale=64', 'model.neck.hid_channels=256',
        'model.head.predictor.hid_channels=256'
    ]
    run_tool(['tools/analysis_tools/gpu_smoke.sh', out],
             env=dict(
                 PYTHON=sys.executable,
                 OMP_NUM_THREADS='2',
                 SKIP_BENCH='1',
                 TRAIN_BATCH='4',
                 TRAIN_IMAGES_PER_CLASS='1',
                 WORKERS='1',
                 TRAIN_OPTS=' '.join(shrink),
                 PORT='29533'))
    summary = (out / 'summary.txt').read_text()
    assert summary.count('exit 0') == 2, summary
    assert 'resumed epoch: 2, iter: 6' in summary
    assert osp.exists(out / 'train' / 'epoch_3.pth')
    # both runs, the first and the resumed one, got the extra options
    train_log = (out / 'train.log').read_text()
    assert train_log.count('hid_channels=256') >= 2 * 2, 'TRAIN_OPTS lost'
    lines = (out / 'train.txt').read_text().split('\n')
    listed = dict(line.split() for line in lines if line)
    assert len(listed) == len(SHAPE_CLASSES)
    for path, label in listed.items():
        assert SHAPE_CLASSES[int(label)] == path.split('/')[0]
    # the generated folder stays the generator's own: a second run with
    # other sizes regenerates it instead of refusing
    assert sorted(os.listdir(out / 'data')) == ['meta.json', 'train', 'val']
