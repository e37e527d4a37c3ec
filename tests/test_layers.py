"""dilemma_mm in layers (issue 18): a module imports from its own layer and
those below it, never above; at module level or inside a function alike."""
import ast
import glob
import os.path as osp
from typing import List, Optional

from conftest import REPO_ROOT

# The first name under dilemma_mm -> its layer, low to high. The package's
# __init__ (None) imports everything and is the top.
LAYERS = {
    'utils': 0,
    'registry': 0,
    'version': 0,
    'checkpoint': 1,
    'datasets': 2,
    'models': 2,
    'evaluation': 3,
    'engine': 3,
    'apis': 4,
    'visualization': 5,
    'compat': 6,
    None: 7,
}


def room(module: str) -> Optional[str]:
    """'dilemma_mm.models.heads' -> 'models'; the package itself -> None."""
    parts = module.split('.')
    return parts[1] if len(parts) > 1 else None


def imported(tree: ast.AST, module: str, is_package: bool) -> list:
    """(line, absolute name) of every import of dilemma_mm in ``tree``, the
    module ``module`` (a package's own ``__init__`` when ``is_package``)."""
    package = module if is_package else module.rpartition('.')[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                parent = package.rsplit('.', node.level - 1)[0]
                base = f'{parent}.{base}' if base else parent
            # ``from dilemma_mm import apis`` names the room in the alias.
            names = ([f'{base}.{alias.name}' for alias in node.names]
                     if base == 'dilemma_mm' else [base])
        else:
            continue
        found += [(node.lineno, name) for name in names
                  if name.split('.')[0] == 'dilemma_mm']
    return found


def upward_imports(source: str, path: str) -> List[str]:
    """Each import of a higher layer in ``source``, the text of ``path``
    (relative to the repository), as 'path:line imports name (...)'."""
    module = path[:-len('.py')].replace('/', '.')
    is_package = module.endswith('.__init__')
    if is_package:
        module = module[:-len('.__init__')]
    here = room(module)
    errors = []
    for line, name in sorted(imported(ast.parse(source), module, is_package)):
        there = room(name)
        for each in (here, there):
            assert each in LAYERS, f'{path}: give {each} a layer in LAYERS'
        if LAYERS[there] > LAYERS[here]:
            errors.append(f'{path}:{line} imports {name} ({there}, layer '
                          f'{LAYERS[there]}) from {here} (layer '
                          f'{LAYERS[here]})')
    return errors


def test_no_module_imports_a_higher_layer():
    paths = glob.glob(
        osp.join(REPO_ROOT, 'dilemma_mm', '**', '*.py'), recursive=True)
    assert len(paths) > 50
    errors = []
    for path in sorted(paths):
        with open(path) as f:
            errors += upward_imports(f.read(), osp.relpath(path, REPO_ROOT))
    assert not errors, '\n'.join(errors)


def test_the_checker_reports_an_upward_import():
    source = '\n'.join([
        'import torch',
        'from dilemma_mm.registry import MODELS',  # down: fine
        'from ..utils import binary_auc',  # same layer: fine
        'from dilemma_mm.evaluation.knn import knn_classify',
        'from ...apis import init_model',
        'from dilemma_mm import compat',
        'def build():',
        '    import dilemma_mm.visualization',
        '    from ... import engine',
        '    import dilemma_mm',
    ])
    errors = upward_imports(source, 'dilemma_mm/models/heads/head.py')
    assert [error.split(' (')[0] for error in errors] == [
        'dilemma_mm/models/heads/head.py:4 imports dilemma_mm.evaluation.knn',
        'dilemma_mm/models/heads/head.py:5 imports dilemma_mm.apis',
        'dilemma_mm/models/heads/head.py:6 imports dilemma_mm.compat',
        'dilemma_mm/models/heads/head.py:8 imports dilemma_mm.visualization',
        'dilemma_mm/models/heads/head.py:9 imports dilemma_mm.engine',
        'dilemma_mm/models/heads/head.py:10 imports dilemma_mm',
    ]
    # A package's __init__ resolves ``..`` from itself.
    assert upward_imports('from ..apis import init_model',
                          'dilemma_mm/utils/__init__.py')
    assert not upward_imports('from ..utils import load_config',
                              'dilemma_mm/apis/__init__.py')
