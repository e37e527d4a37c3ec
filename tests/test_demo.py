"""tools/demo.py: any ImageNet-style folder as it is, the shape data where
the folder does not exist, a clear error otherwise; overrides checked
against both configs before any work; and the whole main job on a tiny
folder, started from another directory."""
import json
import os
import os.path as osp
import re

import numpy as np
import pytest
from conftest import REPO_ROOT, load_tool, make_image_folder, run_tool
from PIL import Image

from dilemma_mm.datasets.generators import SHAPE_CLASSES, make_shapes_dataset


def recipe(demo):
    return demo.RECIPES['mocov3']


def _foreign_folder(root, classes=('cat', 'dog'), per_class=(8, 4), size=40):
    """Photos-like folder of JPEGs of another size than the recipe's."""
    rng = np.random.default_rng(0)
    for split, count in zip(('train', 'val'), per_class):
        for label, name in enumerate(classes):
            os.makedirs(root / split / name)
            for i in range(count):
                image = rng.integers(0, 255, (size, size + 8, 3))
                image[:size // 2] //= 1 + label  # a class cue
                Image.fromarray(image.astype(np.uint8)).save(root / split /
                                                             name / f'{i}.jpg')
    return str(root)


def test_foreign_folder_is_used_as_it_is(tmp_path):
    demo = load_tool('tools/demo.py')
    data = _foreign_folder(tmp_path / 'pets')
    before = sorted(os.listdir(data))
    assert demo.prepare_data(recipe(demo), data, 0,
                             str(tmp_path / 'work')) == ['cat', 'dog']
    assert sorted(os.listdir(data)) == before  # nothing generated there


def test_missing_folder_gets_the_shape_data(tmp_path, monkeypatch):
    demo = load_tool('tools/demo.py')
    commands = []

    def fake_run(args, log_name, work_dir):
        commands.append(args)
        # what make_shapes.py does, at a test's size
        make_shapes_dataset(
            args[args.index('--out') + 1],
            num_train=1,
            num_val=1,
            size=16,
            verbose=False)
        return ''

    monkeypatch.setattr(demo, 'run', fake_run)
    data = str(tmp_path / 'new' / 'shapes')
    assert demo.prepare_data(recipe(demo), data, 3,
                             str(tmp_path)) == list(SHAPE_CLASSES)
    assert commands[0][0].endswith('tools/dataset_converters/make_shapes.py')
    assert commands[0][commands[0].index('--seed') + 1] == '3'
    assert commands[0][commands[0].index('--style') + 1] == 'textured'


@pytest.mark.parametrize('algorithm', ['mocov3', 'dino', 'simclr', 'mae'])
def test_every_algorithm_has_a_recipe_its_probe_reads(algorithm):
    """--algorithm picks DILEMMA + X: its pretraining config exists, its
    backbone feeds the linear probe, and the defaults name the textured
    data and a work dir of its own."""
    demo = load_tool('tools/demo.py')
    args = demo.parse_args(['--algorithm', algorithm])
    recipe = demo.RECIPES[algorithm]
    assert osp.isfile(osp.join(REPO_ROOT, recipe.pretrain))
    assert f'dilemma-{algorithm}_' in recipe.pretrain
    assert args.data == 'data/shapes_textured'
    assert args.work_dir.startswith('work_dirs/demo')
    probe_options = demo.plan_options(recipe, args)
    assert 'model.backbone.frozen_stages=4' in probe_options
    flat = demo.parse_args(['--algorithm', algorithm, '--style', 'flat'])
    assert flat.data == 'data/shapes'


def test_existing_shape_folder_of_other_sizes_is_kept(tmp_path, monkeypatch):
    """Issue 19, item 4: a make_shapes.py folder with other sizes was
    regenerated at the default sizes (144 images became 13,200)."""
    demo = load_tool('tools/demo.py')
    data = str(tmp_path / 'shapes')
    make_shapes_dataset(data, num_train=2, num_val=1, size=16, verbose=False)
    before = sorted(os.walk(data))
    monkeypatch.setattr(demo, 'run', lambda *a: pytest.fail(f'ran {a}'))
    assert demo.prepare_data(recipe(demo), data, 0,
                             str(tmp_path / 'w')) == list(SHAPE_CLASSES)
    assert sorted(os.walk(data)) == before


@pytest.mark.parametrize(
    'layout, message',
    [(['images/a.jpg'], 'has no train or val folder'),
     (['train/a/1.jpg', 'val/a/1.jpg'], 'has 1 class folders'),
     (['train/a/1.jpg', 'train/b/notes.txt', 'val/a/1.jpg', 'val/b/1.jpg'
       ], r"no images .* in the class folders \['b'\]"),
     (['train/a/1.jpg', 'train/b/x.jpg/', 'val/a/1.jpg', 'val/b/1.jpg'
       ], r"no images .* in the class folders \['b'\]"),
     (['train/a/1.jpg', 'train/b/1.jpg', 'val/a/1.jpg', 'val/c/1.jpg'
       ], 'different class folders')])
def test_wrong_layout_is_refused(tmp_path, layout, message):
    demo = load_tool('tools/demo.py')
    data = tmp_path / 'mine'
    for relative in layout:
        path = data / relative
        if relative.endswith('/'):  # a folder named like an image
            os.makedirs(path)
            continue
        os.makedirs(path.parent, exist_ok=True)
        Image.new('RGB', (8, 8)).save(path, format='JPEG')
    with pytest.raises(SystemExit, match=message):
        demo.prepare_data(recipe(demo), str(data), 0, str(tmp_path / 'work'))
    assert not osp.exists(data / 'meta.json')  # never overwritten


@pytest.mark.parametrize('options, message', [
    (['--cfg-options', 'model.backbon.arch.num_layers=2'
      ], "the pretraining config .* does not build: TypeError: .*'backbon'"),
    (['--cfg-options', 'train_cfgg.max_epochs=2'], "did you mean 'train_cfg'"),
    (['--probe-cfg-options', 'model.neck.input_features=7'
      ], 'the linear probe .* does not build'),
    (['--cfg-options', 'model.backbone.frozen_stages=9'
      ], 'pretraining config .* IndexError'),
    (['--epochs', '0'], None),
    (['--minutes', '-1'], None),
])
def test_bad_overrides_are_refused_before_any_work(tmp_path, options, message,
                                                   capsys, monkeypatch):
    """Issue 19, item 2: an override that the probe cannot follow stopped
    the demo after pretraining; now every override is built into both
    models first."""
    demo = load_tool('tools/demo.py')
    monkeypatch.setattr(demo, 'run', lambda *a: pytest.fail(f'ran {a}'))
    data, work = tmp_path / 'shapes', tmp_path / 'work'
    with pytest.raises(SystemExit) as error:
        demo.main(['--data', str(data), '--work-dir', str(work), *options])
    if message is None:  # argparse: usage and exit 2
        assert error.value.code == 2
        assert 'must be' in capsys.readouterr().err
    else:
        assert re.search(message, str(error.value))
    assert not data.exists() and not work.exists()


def test_probe_follows_the_pretraining_backbone():
    demo = load_tool('tools/demo.py')
    args = demo.parse_args([
        '--cfg-options', 'model.backbone.arch.num_layers=2',
        'model.backbone.arch.embed_dims=96', 'model.neck.in_channels=96',
        'model.head.predictor.hid_channels=64'
    ])
    assert demo.plan_options(recipe(demo), args) == [
        'model.backbone.arch.num_layers=2',
        'model.backbone.arch.embed_dims=96', 'model.backbone.frozen_stages=2',
        'model.neck.input_features=96', 'model.head.in_channels=96'
    ]


def test_budget_is_shared_between_the_steps(monkeypatch, tmp_path):
    """Issue 19, item 13: pretraining gets its share of the time left, the
    first probe half of what is left then, and the picture's start-up is
    kept aside; both probes train as many epochs."""
    demo = load_tool('tools/demo.py')
    clock = demo.Clock(10)
    monkeypatch.setattr(demo.time, 'time', lambda: clock.start + 100)
    calls = []

    def fake_run(args, log_name, work_dir):
        calls.append([str(a) for a in args])
        if '--out' in calls[-1]:  # k-NN
            with open(calls[-1][calls[-1].index('--out') + 1], 'w') as f:
                json.dump(dict(knn_top1=30.), f)
        return ('Time budget: epoch 1 took 9.0 s, 200.0 s are left: 3 of 5 '
                'epochs fit (whole epochs); schedule fitted to 3 epochs.')

    monkeypatch.setattr(demo, 'run', fake_run)
    monkeypatch.setattr(demo, 'trained_epochs', lambda *a: ('c.pth', 3, ''))
    monkeypatch.setattr(demo, 'last_val_metric', lambda *a: 50.)
    args = demo.parse_args([])
    work = str(tmp_path)
    assert demo.pretrain(recipe(demo), '/d', args, clock, work)[1] == 3
    assert 'train_cfg.time_budget_s=325' in calls[-1]  # 0.65 x 500 s
    clock.steps['random init'] = 10.  # the probes: (500 - 10) / 2 - 10
    results = demo.evaluate(
        recipe(demo), dict(pretrained='p.pth', random_init='r.pth'), '/d',
        ['a', 'b'], args, [], clock, work)
    probes = [c for c in calls if 'linear_probe' in ' '.join(c)]
    assert 'train_cfg.time_budget_s=235' in probes[0]
    assert '--epochs' not in probes[0]
    assert probes[1][probes[1].index('--epochs') + 1] == '3'
    assert not any('time_budget' in a for a in probes[1])
    assert results['random_init']['probe_epochs'] == 3


def test_finished_run_on_other_data_is_not_resumed(tmp_path, monkeypatch):
    """Issue 19, item 6: a second demo with `--data B` into the work dir of
    a finished run on A logged `resumed epoch`, trained nothing and
    evaluated A's backbone on B. Now the pretraining step stops with
    OtherDataError, naming both data sets, and A's checkpoints stay."""
    demo = load_tool('tools/demo.py')
    data_a = make_image_folder(str(tmp_path / 'a'), size=32)
    data_b = make_image_folder(str(tmp_path / 'b'), size=32, seed=1)
    work = tmp_path / 'work'
    tiny = [
        '--work-dir',
        str(work), '--epochs', '1', '--cfg-options',
        'model.backbone.arch.num_layers=1', 'train_dataloader.batch_size=8',
        'train_dataloader.num_workers=0'
    ]
    # A's run, by the demo's own pretraining step.
    args = demo.parse_args(['--data', data_a, *tiny])
    demo.pretrain(
        recipe(demo), data_a, args, demo.Clock(args.minutes), str(work))
    pretrain_dir = work / 'pretrain'
    kept = {
        path: (path.read_bytes(), path.stat().st_mtime_ns)
        for path in pretrain_dir.glob('*.pth')
    }
    assert pretrain_dir / 'epoch_1.pth' in kept

    # Stop at once should the demo go on past pretraining.
    monkeypatch.setattr(demo, 'trained_epochs',
                        lambda *a: pytest.fail('resumed the run on A'))
    with pytest.raises(SystemExit, match=r'step failed \(exit 1\): .*train'):
        demo.main(['--data', data_b, *tiny])
    first_log, log = (work / 'pretrain.log').read_text().split(
        demo.LOG_HEADER)[1:]  # A's log kept, B's appended
    assert 'Epoch(train)' in first_log
    run_name = osp.splitext(osp.basename(recipe(demo).pretrain))[0]
    assert (f'OtherDataError: {pretrain_dir} holds a run of {run_name} '
            f'trained on CustomDataset at {data_a} (data_prefix=train), '
            f'not on CustomDataset at {data_b} (data_prefix=train)') in log
    assert 'resumed epoch' not in log and 'Epoch(train)' not in log
    assert {
        path: (path.read_bytes(), path.stat().st_mtime_ns)
        for path in pretrain_dir.glob('*.pth')
    } == kept
    assert not (work / 'summary.json').exists()


def test_main_job_from_another_directory(tmp_path):
    """The whole demo, shrunk, started elsewhere with relative paths, on a
    make_shapes.py folder of other sizes holding a folder named like an
    image: `--epochs 1 --probe-epochs 1` (issue 19, item 1), a backbone
    override the probe follows (2), sample images that are files (3), the
    folder used as it is (4), paths as the shell means them (5), a
    budget (13)."""
    data = tmp_path / 'shapes'
    make_shapes_dataset(
        str(data),
        num_train=12,
        num_val=3,
        classes=['circle', 'square'],
        verbose=False)
    os.makedirs(data / 'val' / 'circle' / 'x.png')
    before = sorted(os.walk(data))
    caller = tmp_path / 'elsewhere'
    caller.mkdir()
    proc = run_tool([
        osp.join(REPO_ROOT, 'tools/demo.py'), '--data', '../shapes',
        '--work-dir', 'work', '--epochs', '1', '--probe-epochs', '1',
        '--minutes', '20', '--cfg-options', 'model.backbone.arch.num_layers=1',
        'train_dataloader.batch_size=8', 'train_dataloader.num_workers=0',
        '--probe-cfg-options', 'train_dataloader.batch_size=8',
        'train_dataloader.num_workers=0', 'val_dataloader.num_workers=0'
    ],
                    cwd=caller)
    assert sorted(os.walk(data)) == before  # used as it is
    work = caller / 'work'
    summary = json.load(open(work / 'summary.json'))
    assert summary['data'] == str(data) and summary['num_classes'] == 2
    for name in ('pretrained', 'random_init'):
        for key in ('knn_top1', 'linear_probe_top1'):
            assert 0 <= summary[name][key] <= 100
        assert summary[name]['probe_epochs'] == 1
    assert summary['pretrain_epochs'] == 1
    assert sorted(summary['detection_per_epoch']) == ['1']
    assert 0 <= summary['detection_last_epoch']['auc_dilemma'] <= 1
    assert osp.getsize(work / 'misplacement.png') > 0
    assert 'BudgetEpochBasedTrainLoop' in proc.stdout
    assert re.search(
        r'pretraining: 1 epoch \(1 of 1 epochs fit in the '
        r'time budget\)', proc.stdout)
    assert re.search(r'k-NN top-1 +[\d.]+ % +[\d.]+ %', proc.stdout)
    assert 'detection AUC per epoch: 1: ' in proc.stdout
    assert 'total time: ' in proc.stdout
