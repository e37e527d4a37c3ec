"""One room for checkpoints (issue 18): one loader that refuses code, no
other ``torch.load``, and no import from a lower layer to a higher one."""
import ast
import glob
import os.path as osp

from conftest import REPO_ROOT

LOADER = 'dilemma_mm/checkpoint/loading.py'
# compat's probe loads an in-memory buffer to see whether torch refuses
# mmengine's classes; it reads no file.
PROBE = 'dilemma_mm/compat.py'


def python_files(*roots: str) -> list:
    files = []
    for root in roots:
        files += glob.glob(
            osp.join(REPO_ROOT, root, '**', '*.py'), recursive=True)
    return [osp.relpath(f, REPO_ROOT) for f in sorted(files)]


def calls(path: str):
    tree = ast.parse(open(osp.join(REPO_ROOT, path)).read())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield ast.unparse(node.func), node


def test_one_loader_and_it_never_runs_code():
    loaders = {}
    for path in python_files('dilemma_mm', 'tools', 'projects'):
        text = open(osp.join(REPO_ROOT, path)).read()
        assert 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD' not in text, path
        for name, node in calls(path):
            for keyword in node.keywords:
                if keyword.arg == 'weights_only':
                    assert ast.unparse(keyword.value) == 'True', path
            if name in ('torch.load', 'CheckpointLoader.load_checkpoint',
                        '_load_checkpoint'):
                loaders.setdefault(path, []).append(name)
    assert loaders == {LOADER: ['torch.load'], PROBE: ['torch.load']}


def imported_modules(path: str) -> set:
    tree = ast.parse(open(osp.join(REPO_ROOT, path)).read())
    package = osp.dirname(path).replace('/', '.')
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit('.', node.level - 1)[0]
                names.add(f'{base}.{node.module}' if node.module else base)
            else:
                names.add(node.module)
    return names


def test_checkpoint_room_imports_nothing_above_it():
    # The package is a bottom layer: models, evaluation, engine and tools
    # use it, it uses none of them. compat allowlists its classes.
    for path in python_files('dilemma_mm/checkpoint'):
        ours = {
            m
            for m in imported_modules(path) if m.startswith('dilemma_mm.')
        }
        assert all(m.startswith('dilemma_mm.checkpoint')
                   for m in ours), (path, ours)
