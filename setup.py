"""Install dilemma_mm as an OpenMMLab plugin.

Like mmpretrain, the package carries its configs, tools and model index in
``dilemma_mm/.mim`` so that ``dilemma_mm::path/to/config.py`` base configs
resolve from any directory. An editable install links them; a wheel copies
them.
"""
import os
import os.path as osp
import shutil
import sys
from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))
MIM_FILES = ['configs', 'tools', 'model-index.yml']


def read_requirements(name: str) -> list:
    """Requirement lines of ``requirements/<name>.txt``, comments dropped."""
    with open(osp.join(HERE, 'requirements', f'{name}.txt')) as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [line for line in lines if line]


def add_mim_extension() -> None:
    """Put configs, tools and model-index.yml into ``dilemma_mm/.mim``."""
    editable = any(cmd in sys.argv for cmd in ('develop', 'editable_wheel'))
    building = any(
        cmd in sys.argv
        for cmd in ('bdist_wheel', 'sdist', 'install', 'build'))
    if not (editable or building):
        return
    mim_dir = osp.join(HERE, 'dilemma_mm', '.mim')
    os.makedirs(mim_dir, exist_ok=True)
    for name in MIM_FILES:
        src = osp.join(HERE, name)
        dst = osp.join(mim_dir, name)
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if editable:
            os.symlink(osp.relpath(src, mim_dir), dst)
        elif osp.isdir(src):
            shutil.copytree(src, dst)
        else:
            shutil.copyfile(src, dst)


def get_version() -> str:
    namespace = {}
    with open(osp.join(HERE, 'dilemma_mm', 'version.py')) as f:
        exec(f.read(), namespace)
    return namespace['__version__']


add_mim_extension()
setup(
    name='dilemma_mm',
    version=get_version(),
    description='DILEMMA (misplaced-position detection on sparse inputs) '
    'for MMPretrain: MoCo v3, DINO, SimCLR and MAE',
    long_description=open(osp.join(HERE, 'README.md')).read(),
    long_description_content_type='text/markdown',
    keywords='self-supervised learning, vision transformer, openmmlab',
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'projects')),
    include_package_data=True,
    package_data={'dilemma_mm': ['.mim/**/*', '.mim/*']},
    python_requires='>=3.9',
    license='Apache License 2.0',
    install_requires=read_requirements('runtime'),
    extras_require={
        'tests': read_requirements('tests'),
        'optional': read_requirements('optional'),
    },
    zip_safe=False)
