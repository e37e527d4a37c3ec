"""(Re)generate the model index after adding, renaming or removing configs.

Examples::

    python tools/misc/update_model_index.py           # update the files
    python tools/misc/update_model_index.py --check   # exit 1 if stale

For every folder under ``configs/`` (except ``_base_``) that holds configs:

- ``metafile.yml`` (mmpretrain's format) gets one ``Models`` entry per
  config, named after the file (OpenMMLab convention), with ``Metadata``
  read from the name (epochs, batch size, training data), ``Results: null``
  and no ``Weights``. Existing entries keep every hand-written field (a
  measured ``Results``, published ``Weights``...); entries whose config is
  gone are dropped. A missing ``Collections`` entry is created.
- ``README.md``: created if missing; the part between the
  ``<!-- model-index:begin -->`` and ``<!-- model-index:end -->`` markers is
  regenerated (table of models, each config's header comment as its recipe,
  the command that reproduces it); the rest is hand-written and kept.

``model-index.yml`` imports every metafile. Files are replaced atomically,
since mmengine parses the index on every ``dilemma_mm::`` config lookup.
"""
import argparse
import glob
import os
import os.path as osp
import re
import sys
from typing import Dict, List, Optional

import yaml

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BEGIN, END = '<!-- model-index:begin -->', '<!-- model-index:end -->'

_DILEMMA_PAPER = dict(
    Title='DILEMMA: Self-Supervised Shape and Texture Learning with '
    'Transformers',
    URL='https://arxiv.org/abs/2204.04788')
# folder -> (collection name, paper, architecture)
KNOWN_COLLECTIONS = {
    'dilemma': ('DILEMMA', _DILEMMA_PAPER, ['ViT', 'DILEMMA']),
    'mocov3':
    ('MoCoV3',
     dict(
         Title='An Empirical Study of Training Self-Supervised Vision '
         'Transformers',
         URL='https://arxiv.org/abs/2104.02057'), ['ViT', 'MoCo']),
    'dino': ('DINO',
             dict(
                 Title='Emerging Properties in Self-Supervised Vision '
                 'Transformers',
                 URL='https://arxiv.org/abs/2104.14294'), ['ViT', 'DINO']),
    'simclr':
    ('SimCLR',
     dict(
         Title='A Simple Framework for Contrastive Learning of Visual '
         'Representations',
         URL='https://arxiv.org/abs/2002.05709'), ['ViT', 'SimCLR']),
    'mae': ('MAE',
            dict(
                Title='Masked Autoencoders Are Scalable Vision Learners',
                URL='https://arxiv.org/abs/2111.06377'), ['ViT', 'MAE']),
    'benchmarks': ('Benchmarks', _DILEMMA_PAPER, ['ViT']),
}
TRAINING_DATA = (('in1k', 'ImageNet-1k'), ('in100', 'ImageNet-100'),
                 ('shapes', 'Shapes (generated)'), ('yoga82', 'YOGA-82'))


def config_folders(root: str = REPO_ROOT) -> Dict[str, List[str]]:
    """Top-level config folders and their configs (repo-relative paths,
    ``_base_`` folders excluded at any depth)."""
    folders = {}
    configs_dir = osp.join(root, 'configs')
    for folder in sorted(os.listdir(configs_dir)):
        if folder == '_base_' or not osp.isdir(osp.join(configs_dir, folder)):
            continue
        paths = glob.glob(
            osp.join(configs_dir, folder, '**', '*.py'), recursive=True)
        configs = sorted(
            osp.relpath(p, root) for p in paths
            if '_base_' not in p.split(os.sep)
            and osp.basename(p) != '__init__.py')
        if configs:
            folders[folder] = configs
    return folders


def metadata_from_name(name: str) -> dict:
    """Epochs, batch size and training data read from an OpenMMLab config
    name ``{algorithm}_{backbone}_{gpus}xb{batch}-{...}-{N}e_{dataset}``."""
    metadata = {}
    # the last one: '...-8e-pre_...-5e_shapes' trains for 5 epochs
    epochs = re.findall(r'(?:^|[-_])(\d+)e(?=[-_]|$)', name)
    if epochs:
        metadata['Epochs'] = int(epochs[-1])
    batch = re.search(r'(?:^|[-_])(\d+)xb(\d+)(?=[-_]|$)', name)
    if batch:
        metadata['Batch Size'] = int(batch.group(1)) * int(batch.group(2))
    dataset = name.rsplit('_', 1)[-1]
    for prefix, data in TRAINING_DATA:
        if dataset.startswith(prefix):
            metadata['Training Data'] = data
    return metadata


def new_collection(folder: str) -> dict:
    name, paper, architecture = KNOWN_COLLECTIONS.get(
        folder, (folder, _DILEMMA_PAPER, ['ViT']))
    return {
        'Name': name,
        'Metadata': {
            'Architecture': list(architecture)
        },
        'Paper': dict(paper),
        'README': f'configs/{folder}/README.md',
    }


def new_model(config: str, collection: str) -> dict:
    name = osp.splitext(osp.basename(config))[0]
    return {
        'Name': name,
        'Metadata': metadata_from_name(name),
        'In Collection': collection,
        'Results': None,
        'Config': config,
    }


def update_metafile(folder: str, configs: List[str],
                    current: Optional[dict]) -> dict:
    """The metafile of ``folder``: ``current`` with missing configs added
    and vanished ones dropped, hand-written fields kept."""
    meta = dict(current or {})
    collections = list(meta.get('Collections') or [new_collection(folder)])
    meta['Collections'] = collections
    models = [
        m for m in meta.get('Models') or []
        if isinstance(m, dict) and m.get('Config') in configs
    ]
    listed = {m['Config'] for m in models}
    for config in configs:
        if config not in listed:
            models.append(new_model(config, collections[0]['Name']))
    meta['Models'] = models
    return meta


def _header_comment(path: str) -> str:
    lines = []
    with open(path) as f:
        for line in f:
            if not line.startswith('#'):
                break
            lines.append(line[1:].strip())
    return ' '.join(line for line in lines if line)


def _results_text(results) -> str:
    if not results:
        return 'not measured yet'
    parts = []
    for result in results:
        metrics = ', '.join(f'{k} {v}'
                            for k, v in (result.get('Metrics') or {}).items())
        parts.append(f'{result.get("Task")} on {result.get("Dataset")}: '
                     f'{metrics}')
    return '; '.join(parts)


def _train_command(config: str) -> str:
    gpus = re.search(r'(?:^|_)(\d+)xb\d+', osp.basename(config))
    gpus = int(gpus.group(1)) if gpus else 1
    if gpus == 1:
        return f'python tools/train.py {config}'
    return f'bash tools/dist_train.sh {config} {gpus}'


def generated_block(folder: str, meta: dict, root: str = REPO_ROOT) -> str:
    """The README part between the markers."""
    lines = [
        BEGIN, '<!-- generated by tools/misc/update_model_index.py from '
        'metafile.yml; edit outside the markers -->', '',
        '| Model | Epochs | Batch size | Data | Results | Weights |',
        '| --- | --- | --- | --- | --- | --- |'
    ]
    for model in meta['Models']:
        md = model.get('Metadata') or {}
        weights = model.get('Weights')
        config = osp.relpath(model['Config'], f'configs/{folder}')
        lines.append(f'| [{model["Name"]}]({config}) | '
                     f'{md.get("Epochs", "")} | {md.get("Batch Size", "")} | '
                     f'{md.get("Training Data", "")} | '
                     f'{_results_text(model.get("Results"))} | '
                     f'{f"[ckpt]({weights})" if weights else "none"} |')
    lines += ['', '### Recipes and how to reproduce them', '']
    for model in meta['Models']:
        recipe = _header_comment(osp.join(root, model['Config']))
        lines += [
            f'**{model["Name"]}**: {recipe or "(no header comment)"}', '',
            '```bash',
            _train_command(model['Config']), '```', ''
        ]
    lines.append(END)
    return '\n'.join(lines)


def update_readme(folder: str,
                  meta: dict,
                  current: Optional[str],
                  root: str = REPO_ROOT) -> Optional[str]:
    """The new README text, or ``current`` if it has no markers."""
    block = generated_block(folder, meta, root)
    if current is None:
        collection = meta['Collections'][0]
        paper = collection.get('Paper') or {}
        return (f'# {collection["Name"]}\n\n'
                f'> [{paper.get("Title", "")}]({paper.get("URL", "")})\n\n'
                '<!-- Describe the recipe and the measured results here. -->'
                '\n\nTrain from the repository root; `tools/train.py` and '
                '`tools/dist_train.sh` take `--work-dir`, `--amp`, '
                '`--resume` and `--cfg-options`. A measured figure goes into '
                "the model's `Results` in `metafile.yml`, with the command "
                'that produced it here.\n\n## Models\n\n'
                f'{block}\n')
    if BEGIN not in current or END not in current:
        return current
    head, rest = current.split(BEGIN, 1)
    return head + block + rest.split(END, 1)[1]


def dump_yaml(data: dict) -> str:
    return yaml.safe_dump(
        data, sort_keys=False, default_flow_style=False, width=1000)


def write_atomic(path: str, text: str) -> None:
    """Replace ``path`` with ``text`` through dilemma_mm's atomic writer
    (imported here, so ``--check`` stays free of torch)."""
    from dilemma_mm.checkpoint import write_bytes_atomic
    write_bytes_atomic(text.encode(), path)


def _read(path: str) -> Optional[str]:
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return f.read()


def planned_files(root: str = REPO_ROOT) -> Dict[str, str]:
    """Every index file's wanted content, by repo-relative path."""
    files, imports = {}, []
    for folder, configs in config_folders(root).items():
        metafile = f'configs/{folder}/metafile.yml'
        current = yaml.safe_load(_read(osp.join(root, metafile)) or '{}')
        meta = update_metafile(folder, configs, current)
        files[metafile] = dump_yaml(meta)
        imports.append(metafile)
        readme = f'configs/{folder}/README.md'
        files[readme] = update_readme(folder, meta,
                                      _read(osp.join(root, readme)), root)
    files['model-index.yml'] = dump_yaml({'Import': imports})
    return files


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--check',
        action='store_true',
        help='only report stale files; exit 1 if any')
    parser.add_argument('--root', default=REPO_ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    stale = []
    for path, text in planned_files(args.root).items():
        if _read(osp.join(args.root, path)) != text:
            stale.append(path)
            if not args.check:
                write_atomic(osp.join(args.root, path), text)
    verb = 'stale' if args.check else 'updated'
    for path in stale:
        print(f'{verb}: {path}')
    if not stale:
        print('model index up to date')
    return 1 if args.check and stale else 0


if __name__ == '__main__':
    sys.exit(main())
