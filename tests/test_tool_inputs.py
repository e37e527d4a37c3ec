"""What a newcomer types into the tools: a config that does not parse, a
--cfg-options typo, an output that already exists, paths relative to the
shell's directory. Each is refused with a sentence that names the file or
key, before any work is done."""
import os
import os.path as osp
import sys

import pytest
from conftest import REPO_ROOT, load_tool, run_tool

CONFIG = f'{REPO_ROOT}/configs/mocov3/mocov3_vit-tiny-p8_1xb64-coslr-20e_shapes.py'  # noqa: E501

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
    ckpt.write_bytes(b'')
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


def test_shell_scripts_resolve_paths_in_the_callers_directory(tmp_path):
    """Issue 19, item 5, for the scripts that cd to the repository: OUT_DIR
    and DATA are the caller's. A stand-in python records every command and
    writes what the script reads back."""
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
    json.dump(dict(knn_top1=1.0), open(after('--out'), 'w'))
elif args[0].endswith('test.py'):
    print('{{}}')
''')
    stub.chmod(0o755)
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
