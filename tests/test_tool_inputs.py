"""What a newcomer types into the tools: a config that does not parse, a
--cfg-options typo, an output that already exists, paths relative to the
shell's directory. Each is refused with a sentence that names the file or
key, before any work is done."""
import json
import os
import os.path as osp
import sys

import pytest
import torch
from conftest import REPO_ROOT, load_tool, run_tool

CONFIG = f'{REPO_ROOT}/configs/mocov3/mocov3_vit-tiny-p8-convstem_1xb128-coslr-6e_shapes.py'  # noqa: E501

# Every tool that loads a config, with the arguments after the config.
CONFIG_TOOLS = [
    ('tools/train.py', []),
    ('tools/test.py', ['{ckpt}']),
    ('tools/analysis_tools/knn_eval.py', ['{ckpt}']),
    ('tools/analysis_tools/occlusion_eval.py', ['{ckpt}']),
    ('tools/analysis_tools/visualize_misplacement.py', ['{ckpt}', '{img}']),
    ('tools/analysis_tools/benchmark_throughput.py', []),
    ('tools/misc/save_random_init.py', ['{out}']),
]


def tool_argv(rest, tmp_path):
    ckpt = tmp_path / 'model.pth'
    # a loadable file: the tools check the checkpoint before the config
    torch.save(dict(state_dict={}), ckpt)
    img = tmp_path / 'img.png'
    from PIL import Image
    Image.new('RGB', (32, 32)).save(img)
    values = dict(ckpt=ckpt, img=img, out=tmp_path / 'out.pth')
    return [str(a).format(**values) for a in rest]


@pytest.mark.parametrize('tool, rest', CONFIG_TOOLS)
def test_config_syntax_error_names_the_file(tool, rest, tmp_path):
    """Issue 19, item 11: mmengine reported `File "<unknown>", line 2`."""
    bad = tmp_path / 'bad_config.py'
    bad.write_text('a = 1\nb = (\n')
    child = tmp_path / 'child_config.py'
    child.write_text("_base_ = ['./bad_config.py']\nc = 2\n")
    main = load_tool(tool).main
    with pytest.raises(SyntaxError) as error:
        main([str(bad)] + tool_argv(rest, tmp_path))
    assert str(
        error.value).startswith(f"'(' was never closed in the config {bad}")
    assert (error.value.filename, error.value.lineno) == (str(bad), 2)
    with pytest.raises(SyntaxError, match=f'a _base_ of {child}'):
        main([str(child)] + tool_argv(rest, tmp_path))


@pytest.mark.parametrize('tool, rest', [
    t for t in CONFIG_TOOLS if 'train.py' not in t[0] and 'test.py' not in t[0]
])
def test_cfg_options_typo_is_refused(tool, rest, tmp_path):
    """A misspelt --cfg-options key was merged as a new, unused key and the
    tool ran without it (tools/train.py already refused it)."""
    with pytest.raises(KeyError, match="did you mean 'train_dataloader'"):
        load_tool(tool).main([CONFIG] + tool_argv(rest, tmp_path) +
                             ['--cfg-options', 'train_dataloder.batch_size=8'])


@pytest.mark.parametrize('option, hint', [
    ('model.backbon.arch.num_layers=1',
     "; did you mean 'model.backbone.arch.num_layers'?"),
    ('train_dataloader.batch_size=8', ''),
])
def test_shapes_learnability_refuses_options_it_does_not_read(
        option, hint, tmp_path):
    """Issue 19: the tool builds only model.backbone of --config, so a typo
    inside model (model.backbon...) or any other key was merged and then
    ignored: it trained the config's backbone as it is."""
    tool = load_tool('tools/analysis_tools/shapes_learnability.py')
    data = str(tmp_path / 'shapes')  # refused before it is looked for
    with pytest.raises(KeyError) as error:
        tool.main(['--data', data, '--cfg-options', option])
    key = option.split('=')[0]
    assert error.value.args[0] == (
        f'--cfg-options {key}: this tool reads only model.backbone of the '
        f'config, so it would do nothing{hint}')


def test_save_random_init_keeps_an_existing_file(tmp_path):
    tool = load_tool('tools/misc/save_random_init.py')
    out = tmp_path / 'epoch_8.pth'
    out.write_bytes(b'a trained checkpoint')
    small = ['--cfg-options', 'model.backbone.arch.num_layers=1']
    with pytest.raises(SystemExit, match='exists: pass --force'):
        tool.main([CONFIG, str(out)] + small)
    assert out.read_bytes() == b'a trained checkpoint'
    tool.main([CONFIG, str(out), '--force'] + small)
    assert out.stat().st_size > 1000


def python_stub(tmp_path):
    """A stand-in python at ``tmp_path/python`` for the shell scripts: it
    records every command in ``tmp_path/calls.txt`` and writes what the
    script reads back, in no time."""
    stub = tmp_path / 'python'
    stub.write_text(f'''#!{sys.executable}
import json, os, sys
args = sys.argv[1:]
with open({str(tmp_path / 'calls.txt')!r}, 'a') as f:
    f.write(' '.join(args) + '\\n')
def after(flag):
    return args[args.index(flag) + 1]
if args[0].endswith('make_shapes.py'):
    os.makedirs(after('--out'))
elif args[0].endswith('train.py'):
    work_dir = after('--work-dir')
    os.makedirs(work_dir, exist_ok=True)
    open(os.path.join(work_dir, 'last_checkpoint'), 'w').write('x.pth')
elif args[0].endswith('knn_eval.py'):
    linear = (dict(linear_top1=2.0, linear_weight_decay_at_edge=False)
              if '--linear' in args else {{}})
    json.dump(dict(knn_top1=1.0, **linear), open(after('--out'), 'w'))
elif args[0].endswith('test.py'):
    print('{{}}')
elif args[0].endswith('occlusion_eval.py'):
    open(after('--out')[:-len('.png')] + '.json', 'w').write('{{}}')
''')
    stub.chmod(0o755)
    return stub


def test_shell_scripts_resolve_paths_in_the_callers_directory(tmp_path):
    """Issue 19, item 5, for the scripts that cd to the repository: OUT_DIR
    and DATA are the caller's."""
    python_stub(tmp_path)
    caller = tmp_path / 'elsewhere'
    caller.mkdir()
    run_tool([
        osp.join(REPO_ROOT, 'tools/analysis_tools/shapes_equal_time.sh'),
        'runs', '0'
    ],
             cwd=caller,
             env=dict(
                 PYTHON='../python', DATA='shapes', METHODS='dilemma-mocov3'))
    calls = (tmp_path / 'calls.txt').read_text()
    assert f'--out {caller}/shapes' in calls  # generated where typed
    assert f'--work-dir {caller}/runs/dilemma-mocov3/seed0/pretrain' in calls
    assert f'data_root={caller}/shapes' in calls
    assert '--epochs 8' in calls and 'param_scheduler' not in calls
    assert os.listdir(caller / 'runs' / 'dilemma-mocov3')
    # The class token's files keep their names (FEATURE's default).
    run = caller / 'runs' / 'dilemma-mocov3' / 'seed0'
    assert f'--feature cls_token --linear --out {run}/knn.json ' in calls
    assert f'--work-dir {run}/probe --force' in calls
    assert f'--out {run}/occlusion.png ' in calls
    assert 'out_type' not in calls
    assert (run / 'probe.json').is_file() and (run /
                                               'occlusion.json').is_file()

    # An existing data folder is used as it is, not regenerated.
    (tmp_path / 'calls.txt').unlink()
    run_tool([
        osp.join(REPO_ROOT, 'tools/analysis_tools/shapes_equal_time.sh'),
        'runs', '0'
    ],
             cwd=caller,
             env=dict(
                 PYTHON='../python', DATA='shapes', METHODS='random-init'))
    assert 'make_shapes' not in (tmp_path / 'calls.txt').read_text()


def test_equal_time_by_a_shared_budget(tmp_path):
    """EQUAL_TIME_S gives both pretrainings the same seconds with the
    schedule fitted to them and the last epoch cut by the budget, the
    epochs becoming caps; PRETRAIN_OPTS reach both; a value that is not a
    positive number is refused before anything is written."""
    python_stub(tmp_path)
    (tmp_path / 'shapes').mkdir()
    script = osp.join(REPO_ROOT, 'tools/analysis_tools/shapes_equal_time.sh')
    env = dict(
        PYTHON=str(tmp_path / 'python'),
        DATA=str(tmp_path / 'shapes'),
        METHODS='dilemma-mocov3 mocov3',
        EQUAL_TIME_S='300',
        PRETRAIN_OPTS='a=1 b=2')
    run_tool([script, str(tmp_path / 'runs'), '0'], env=env)
    trainings = [
        line for line in (tmp_path / 'calls.txt').read_text().splitlines()
        if 'tools/train.py configs/' in line and '/pretrain' in line
    ]
    assert len(trainings) == 2
    for line, cap in zip(trainings, (24, 18)):  # 3x the configs' 8 and 6
        assert f'--epochs {cap} ' in line
        assert line.endswith('train_cfg.time_budget_s=300 '
                             'train_cfg.fit_schedule=True '
                             'train_cfg.fit_rounding=ceil a=1 b=2')
    # Without it, the configs' epochs and BUDGET_S as a cap only.
    (tmp_path / 'calls.txt').unlink()
    env.update(EQUAL_TIME_S='', BUDGET_S='900', PRETRAIN_OPTS='')
    run_tool([script, str(tmp_path / 'runs2'), '0'], env=env)
    calls = (tmp_path / 'calls.txt').read_text()
    assert '--epochs 8 ' in calls and '--epochs 6 ' in calls
    assert 'time_budget_s=900' in calls and 'fit_schedule' not in calls

    for bad in ('0', '-5', '5min'):
        proc = run_tool([script, str(tmp_path / f'bad{bad}'), '0'],
                        env=dict(env, EQUAL_TIME_S=bad),
                        check=False)
        assert proc.returncode == 2
        assert f'EQUAL_TIME_S={bad}: give the seconds' in proc.stdout
        assert not (tmp_path / f'bad{bad}').exists()


def evaluated_out_dir(tmp_path,
                      knn='{"class token": 1, "linear_top1": 1, '
                      '"linear_weight_decay_at_edge": false}'):
    """An OUT_DIR of shapes_equal_time.sh whose seed 0 of DILEMMA + MoCo v3
    and random init is evaluated on the class token (its k-NN file holds
    ``knn``), with the stub python; the checkpoint of each method, and the
    script's command and environment for both."""
    python_stub(tmp_path)
    (tmp_path / 'shapes').mkdir()
    out = tmp_path / 'runs'
    checkpoints = {}
    for method in ('dilemma-mocov3', 'random-init'):
        run = out / method / 'seed0'
        run.mkdir(parents=True)
        (run / 'knn.json').write_text(knn)
        for name in ('probe.json', 'occlusion.json'):
            (run / name).write_text('{"class token": 1}')
        checkpoints[method] = run / 'random_init.pth'
    pretrain = out / 'dilemma-mocov3' / 'seed0' / 'pretrain'
    pretrain.mkdir()
    checkpoints['dilemma-mocov3'] = pretrain / 'epoch_8.pth'
    (pretrain / 'last_checkpoint').write_text(str(pretrain / 'epoch_8.pth'))
    command = [
        osp.join(REPO_ROOT, 'tools/analysis_tools/shapes_equal_time.sh'),
        str(out), '0'
    ]
    env = dict(
        PYTHON=str(tmp_path / 'python'),
        DATA=str(tmp_path / 'shapes'),
        METHODS='dilemma-mocov3 random-init')
    return out, checkpoints, command, env


def test_equal_time_patch_mean_evaluates_the_same_checkpoints(tmp_path):
    """FEATURE=patch_mean over an OUT_DIR whose class-token evaluation is
    done: nothing is pretrained again (a resumed budgeted run would train
    on), every output has a name of its own, and a second run skips."""
    out, checkpoints, command, env = evaluated_out_dir(tmp_path)
    before = {p: p.read_bytes() for p in out.rglob('*') if p.is_file()}
    env.update(FEATURE='patch_mean')
    run_tool(command, env=env)

    calls = (tmp_path / 'calls.txt').read_text()
    assert f"--work-dir {out / 'dilemma-mocov3/seed0/pretrain'} " not in calls
    assert 'save_random_init' not in calls
    for method, checkpoint in checkpoints.items():
        run = out / method / 'seed0'
        assert (f'{checkpoint} --feature patch_mean --linear --out '
                f'{run}/knn_patch_mean.json ') in calls
        assert f'--work-dir {run}/probe_patch_mean --force' in calls
        assert f'--out {run}/occlusion_patch_mean.png ' in calls
        assert f'model.backbone.init_cfg.checkpoint={checkpoint} ' in calls
        assert (run / 'probe_patch_mean.json').is_file()
        assert (run / 'occlusion_patch_mean.json').is_file()
    # train, test and occlusion of the probe, for both methods
    assert calls.count('model.backbone.out_type=featmap '
                       'model.neck.type=PatchMeanBatchNormNeck') == 6
    for path, content in before.items():  # the class token's, as they were
        assert path.read_bytes() == content, path

    (tmp_path / 'calls.txt').unlink()
    proc = run_tool(command, env=env)
    assert 'dilemma-mocov3 seed 0: patch_mean done before, skipped' in (
        proc.stdout)
    assert not (tmp_path / 'calls.txt').exists()
    proc = run_tool(command, env=dict(env, FEATURE='cls_mean'), check=False)
    assert proc.returncode == 2 and 'choose cls_token or patch_mean' in (
        proc.stdout)


@pytest.mark.parametrize(
    'knn', ['{"knn_top1": 1}', '{"knn_top1": 1, "linear_top1": 1}'],
    ids=['before --linear', 'before the 1e-7 grid'])
def test_equal_time_adds_the_converged_linear_to_evaluated_seeds(
        tmp_path, knn):
    """An OUT_DIR evaluated before knn_eval.py --linear, or before its grid
    of weight decays reached 1e-7: its k-NN runs again with --linear on the
    same checkpoints, nothing else runs, and a second run skips."""
    out, checkpoints, command, env = evaluated_out_dir(tmp_path, knn=knn)
    proc = run_tool(command, env=env)
    calls = (tmp_path / 'calls.txt').read_text().splitlines()
    assert len(calls) == 2  # the k-NN of each method, nothing else
    assert all(
        c.startswith('tools/analysis_tools/knn_eval.py ') for c in calls)
    for method, checkpoint in checkpoints.items():
        run = out / method / 'seed0'
        assert any(f'{checkpoint} --feature cls_token --linear --out '
                   f'{run}/knn.json ' in c for c in calls)
        assert json.loads((run / 'knn.json').read_text())['linear_top1'] == 2.
        assert (run / 'probe.json').read_text() == '{"class token": 1}'
    assert ('dilemma-mocov3 seed 0 (cls_token): converged linear '
            '"linear_top1": 2.0') in proc.stdout

    (tmp_path / 'calls.txt').unlink()
    proc = run_tool(command, env=env)
    assert 'dilemma-mocov3 seed 0: cls_token done before, skipped' in (
        proc.stdout)
    assert not (tmp_path / 'calls.txt').exists()


def test_gpu_smoke_resolves_paths_in_the_callers_directory(tmp_path):
    """Issue 19, item 5, for gpu_smoke.sh: a relative OUT_DIR and PYTHON,
    started from another directory, are the caller's (the script cds to
    the repository first)."""
    python_stub(tmp_path)
    caller = tmp_path / 'elsewhere'
    caller.mkdir()
    run_tool(
        [osp.join(REPO_ROOT, 'tools/analysis_tools/gpu_smoke.sh'), 'smoke'],
        cwd=caller,
        env=dict(PYTHON='../python'))
    out = caller / 'smoke'
    summary = (out / 'summary.txt').read_text()
    assert (tmp_path / 'calls.txt').exists(), summary  # ../python ran
    calls = (tmp_path / 'calls.txt').read_text()
    assert f'make_shapes.py --out {out}/data ' in calls
    assert f'--json {out}/bench_mocov3_vit-s.json' in calls
    assert f'--work-dir {out}/train ' in calls  # through dist_train.sh
    assert f'data_root={out}/data ' in calls
    assert f'ann_file={out}/train.txt ' in calls
    for name in ('train.txt', 'train.log', 'bench_mocov3_vit-s.log'):
        assert (out / name).is_file(), name
    assert not osp.exists(osp.join(REPO_ROOT, 'smoke'))


@pytest.mark.parametrize('tool, argv, message', [
    ('tools/analysis_tools/knn_eval.py', [CONFIG, 'x.pth', '--k', '0'],
     '--k: must be an integer above 0'),
    ('tools/analysis_tools/benchmark_throughput.py', [CONFIG, '--rounds', '0'],
     '--rounds: must be an integer >= 1'),
    ('tools/analysis_tools/benchmark_throughput.py', [
        CONFIG, '--equal-time-epochs', '0'
    ], '--equal-time-epochs: must be an integer >= 1'),
    ('tools/analysis_tools/misplacement_curve.py', ['--batch-size', '1'],
     '--batch-size must be at least 2'),
    ('tools/analysis_tools/misplacement_curve.py', ['--img-size', '30'],
     '--img-size 30 must be a multiple of --patch-size 8'),
])
def test_numbers_out_of_range_are_refused_at_once(tool, argv, message, capsys):
    """A 0 was accepted, then ignored (--equal-time-epochs) or failed
    after the work (--rounds: StatisticsError, --k after feature
    extraction, --batch-size 1 in BatchNorm)."""
    with pytest.raises(SystemExit) as error:
        load_tool(tool).main(argv)
    assert error.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize('tool, argv, message', [
    ('tools/analysis_tools/summarize_equal_time.py', ['{tmp}/typo'
                                                      ], 'no finished run'),
    ('tools/analysis_tools/shapes_learnability.py', [
        '--model', 'cnn', '--cfg-options', 'model.backbone.arch.num_layers=1'
    ], 'they do nothing with --model cnn'),
    ('tools/analysis_tools/occlusion_eval.py',
     [CONFIG, '{tmp}/x.pth', '--out', '{tmp}/plots'], 'give a .png file'),
    ('tools/analysis_tools/occlusion_eval.py', [
        CONFIG, '{tmp}/x.pth', '--max-batches', '0'
    ], '--max-batches must be at least 1'),
    ('tools/analysis_tools/visualize_misplacement.py', [
        CONFIG, '{tmp}/x.pth', '{tmp}/img.png', '--out', '{tmp}/plots'
    ], 'give a .png file'),
])
def test_options_that_did_nothing_are_refused(tool, argv, message, tmp_path):
    """Accepted, then ignored (an empty table, an unused config), or a
    file named that was never written (matplotlib adds .png)."""
    with pytest.raises(SystemExit, match=message):
        load_tool(tool).main([a.format(tmp=tmp_path) for a in argv])
    assert not list(tmp_path.iterdir())


def test_knn_says_when_k_exceeds_the_bank(tiny_image_folder, tmp_path, capsys):
    ckpt = tmp_path / 'init.pth'
    small = ['--cfg-options', 'model.backbone.arch.num_layers=1']
    load_tool('tools/misc/save_random_init.py').main(
        [CONFIG, str(ckpt)] + small)
    result = load_tool('tools/analysis_tools/knn_eval.py').main([
        CONFIG,
        str(ckpt), '--k', '500', '--num-workers', '0', '--cfg-options',
        'model.backbone.arch.num_layers=1',
        f'train_dataloader.dataset.data_root={tiny_image_folder}'
    ])
    assert result['k'] == 16  # the 16 training images, not 500
    assert 'k-NN (k=16,' in capsys.readouterr().out


def test_make_shapes_says_what_it_replaces(tmp_path, capsys):
    tool = load_tool('tools/dataset_converters/make_shapes.py')
    out = str(tmp_path / 'shapes')
    small = ['--out', out, '--num-val', '1', '--classes', 'circle', 'square']
    tool.main(small + ['--num-train', '2'])
    capsys.readouterr()
    tool.main(small + ['--num-train', '1'])
    assert (f'Replacing {out}, generated with other parameters: '
            'num_train 2 -> 1') in capsys.readouterr().out
    os.makedirs(tmp_path / 'mine' / 'photos')
    with pytest.raises(SystemExit, match='holds files other than a shape'):
        tool.main(['--out', str(tmp_path / 'mine'), '--num-train', '1'])


def test_equal_time_finetune_adds_to_evaluated_seeds(tmp_path):
    """FINETUNE=1 over an OUT_DIR whose evaluation is done fine-tunes the
    same checkpoints (the random initialisation too) and nothing else; on a
    fresh seed it pretrains, evaluates and fine-tunes; a second run skips;
    a value other than 0 or 1 is refused."""
    out, checkpoints, command, env = evaluated_out_dir(tmp_path)
    env.update(FINETUNE='1')
    run_tool(command, env=env)
    calls = (tmp_path / 'calls.txt').read_text().splitlines()
    assert len(calls) == 4  # train and test of the fine-tuning, twice
    for method, checkpoint in checkpoints.items():
        run = out / method / 'seed0'
        train, test = [c for c in calls if f'{run}/finetune' in c]
        assert '-ft-coslr-5e_shapes.py --work-dir' in train
        assert f'model.backbone.init_cfg.checkpoint={checkpoint} ' in train
        assert test.startswith('tools/test.py') and 'x.pth' in test
        assert (run / 'finetune.json').read_text() == '{}\n'

    (tmp_path / 'calls.txt').unlink()
    proc = run_tool(command, env=env)
    assert 'dilemma-mocov3 seed 0: cls_token done before, skipped' in (
        proc.stdout)
    assert not (tmp_path / 'calls.txt').exists()

    run_tool(command[:-1] + ['1'], env=dict(env, METHODS='dilemma-mocov3'))
    calls = (tmp_path / 'calls.txt').read_text()
    fresh = out / 'dilemma-mocov3' / 'seed1'
    for step in (f'--work-dir {fresh}/pretrain', f'--out {fresh}/knn.json',
                 f'--work-dir {fresh}/probe', f'--work-dir {fresh}/finetune'):
        assert step in calls
    assert (fresh / 'finetune.json').is_file()
    proc = run_tool(command, env=dict(env, FINETUNE='yes'), check=False)
    assert proc.returncode == 2 and 'FINETUNE=yes: give 1' in proc.stdout


def test_summary_shows_patch_mean_columns_where_evaluated(tmp_path, capsys):
    """FEATURE=patch_mean's k-NN and probe get two columns, FINETUNE=1's
    top-1 one, knn_eval.py --linear's one; without them the table is as it
    was."""
    summarize = load_tool('tools/analysis_tools/summarize_equal_time.py')

    def write(path, **values):
        path.write_text(json.dumps(values))

    occlusion = dict(
        ratios=[0., .5, .9], top1=dict(shuffle=[60., 40., 20.], zero=[60.]))
    for method, knn in (('mocov3', 30.), ('random-init', 10.)):
        for seed in (0, 1):
            run = tmp_path / method / f'seed{seed}'
            run.mkdir(parents=True)
            write(run / 'knn.json', knn_top1=knn + seed)
            write(run / 'probe.json', **{'accuracy/top1': knn + 10 + seed})
            write(run / 'occlusion.json', **occlusion)
    summarize.main([str(tmp_path)])
    before = capsys.readouterr().out
    assert 'patch mean' not in before

    for seed in (0, 1):
        run = tmp_path / 'mocov3' / f'seed{seed}'
        write(run / 'knn_patch_mean.json', knn_top1=50. + seed)
        write(run / 'probe_patch_mean.json', **{'accuracy/top1': 70. + seed})
    write(tmp_path / 'random-init/seed0/knn_patch_mean.json', knn_top1=12.)
    summarize.main([str(tmp_path)])
    after = capsys.readouterr().out.splitlines()
    assert after[0] == (
        '| method | seeds | pretrain min | k-NN top-1 | linear top-1 | '
        'k-NN top-1 (patch mean) | linear top-1 (patch mean) | '
        'shuffle drop 50 % / 90 % | detection AUC |')
    assert after[1] == '|---|---|---:|---:|---:|---:|---:|---:|---:|'
    assert after[2] == ('| mocov3 | 2 | 0.00 ± 0.00 | 30.50 ± 0.71 | '
                        '40.50 ± 0.71 | 50.50 ± 0.71 | 70.50 ± 0.71 | '
                        '20.00 ± 0.00 / 40.00 ± 0.00 | - |')
    assert after[3] == ('| random-init | 2 | 0.00 ± 0.00 | 10.50 ± 0.71 | '
                        '20.50 ± 0.71 | 12.00 ± 0.00 (1 of 2 seeds) | - | '
                        '20.00 ± 0.00 / 40.00 ± 0.00 | - |')
    # Less the two columns, the table and the curves are as before.
    cells = [line.split(' | ') for line in after]
    assert [' | '.join(c[:5] + c[7:]) for c in cells[:1] + cells[2:]
            ] == before.splitlines()[:1] + before.splitlines()[2:]

    # FINETUNE=1's fine-tuned top-1: one column more, after those.
    write(tmp_path / 'mocov3/seed1/finetune.json', **{'accuracy/top1': 80.})
    summarize.main([str(tmp_path)])
    after = capsys.readouterr().out.splitlines()
    assert '| linear top-1 (patch mean) | fine-tune top-1 | shuffle' in (
        after[0])
    assert '| 70.50 ± 0.71 | 80.00 ± 0.00 (1 of 2 seeds) | 20.00' in after[2]
    assert '| - | - | 20.00' in after[3]

    # knn_eval.py --linear's converged linear top-1, read from knn.json:
    # a column after the SGD probe's, shown once any run has the key.
    write(tmp_path / 'mocov3/seed0/knn.json', knn_top1=30., linear_top1=45.)
    summarize.main([str(tmp_path)])
    after = capsys.readouterr().out.splitlines()
    assert after[0].startswith(
        '| method | seeds | pretrain min | k-NN top-1 | linear top-1 | '
        'converged linear top-1 | k-NN top-1 (patch mean) |')
    assert after[2].startswith('| mocov3 | 2 | 0.00 ± 0.00 | 30.50 ± 0.71 | '
                               '40.50 ± 0.71 | 45.00 ± 0.00 (1 of 2 seeds) |')
    assert after[3].startswith('| random-init | 2 | 0.00 ± 0.00 | '
                               '10.50 ± 0.71 | 20.50 ± 0.71 | - |')
    # A fit whose smallest weight decay won is a lower bound, and says so.
    write(
        tmp_path / 'mocov3/seed1/knn.json',
        knn_top1=31.,
        linear_top1=47.,
        linear_weight_decay_at_edge=True)
    summarize.main([str(tmp_path)])
    after = capsys.readouterr().out.splitlines()
    assert '| 40.50 ± 0.71 | 46.00 ± 1.41 (lower bound on 1 of 2: the ' \
        'smallest weight decay won) | 50.50' in after[2]


def test_summary_reads_no_detection_from_a_run_with_nothing_misplaced(
        tmp_path):
    """The MAE baseline runs DilemmaMAE with nothing misplaced and logs AUC
    0.5, AP 0: the table showed a detection AUC of 0.50 for it."""
    summarize = load_tool('tools/analysis_tools/summarize_equal_time.py')
    for name, auc, ap in (('baseline', .5, 0.), ('dilemma', .9, .7)):
        logs = tmp_path / name / 'pretrain/20261206_000000/vis_data'
        logs.mkdir(parents=True)
        (logs / 'scalars.json').write_text(''.join(
            json.dumps(dict(epoch=epoch, auc_dilemma=auc, ap_dilemma=ap)) +
            '\n' for epoch in (1, 2)))
    assert summarize.final_detection_auc(str(tmp_path / 'baseline')) is None
    assert summarize.final_detection_auc(str(tmp_path / 'dilemma')) == .9
