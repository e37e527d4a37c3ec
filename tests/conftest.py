"""Shared fixtures: tiny generated data and a runner for our tools."""
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def make_image_folder(root: str,
                      num_classes: int = 2,
                      per_class: int = 8,
                      size: int = 64,
                      seed: int = 0) -> str:
    """An ImageNet-style ``root/train/<class>/*.png`` folder of random
    images; returns ``root``."""
    rng = np.random.default_rng(seed)
    for split in ('train', 'val'):
        for c in range(num_classes):
            class_dir = osp.join(root, split, f'class_{c}')
            os.makedirs(class_dir, exist_ok=True)
            for i in range(per_class):
                pixels = rng.integers(0, 256, (size, size, 3), np.uint8)
                Image.fromarray(pixels).save(
                    osp.join(class_dir, f'{i:03d}.png'))
    return root


@pytest.fixture(scope='session')
def tiny_image_folder(tmp_path_factory) -> str:
    """2 classes of 8 random 32 px images, the size of the CPU recipes."""
    return make_image_folder(
        str(tmp_path_factory.mktemp('tiny_folder')), size=32)


def run_tool(args,
             cwd=REPO_ROOT,
             timeout=600,
             env=None,
             check=True) -> subprocess.CompletedProcess:
    """Run ``python <args>`` (or ``bash <script>``) from the repo root,
    capturing output; fails the test with the output on a non-zero exit."""
    full_env = dict(os.environ)
    full_env.setdefault('OMP_NUM_THREADS', '1')
    full_env.update(env or {})
    cmd = (['bash'] if str(args[0]).endswith('.sh') else [sys.executable])
    proc = subprocess.run(
        cmd + [str(a) for a in args],
        cwd=cwd,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout)
    if check and proc.returncode != 0:
        pytest.fail(f'{" ".join(cmd + [str(a) for a in args])} exited '
                    f'{proc.returncode}:\n{proc.stdout[-6000:]}')
    return proc


def load_tool(relative_path: str):
    """Import a script under ``tools/`` (or anywhere in the repository) as
    a module, to call its functions or ``main(argv)`` in-process."""
    import importlib.util
    path = osp.join(REPO_ROOT, relative_path)
    name = osp.splitext(osp.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
