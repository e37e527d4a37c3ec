"""What a backbone's features encode on the built-in shape data: the k-NN
top-1 of the class next to that of every nuisance the generator drew.

The shape data is generated from a seed (``make_shapes.py``), so each
image's nuisances (colours, textures, size, rotation, centre, light, noise)
can be drawn again from its file name. The class-token features of the
training images then classify the validation images by each property, with
the weighted k-NN of ``knn_eval.py`` (k=20, T=0.07). A nuisance read back
far above its majority rate is one the features keep; when the colours
are read back at ~100 % and the class at 33 %, instance discrimination
has found the colour shortcut, not the shapes.

Example::

    python tools/analysis_tools/shapes_shortcut_knn.py \\
        configs/mocov3/mocov3_vit-tiny-p8-convstem_1xb128-coslr-6e_shapes.py \\
        work_dirs/mocov3/epoch_6.pth --data data/shapes --out shortcut.json
"""
import argparse
import json
import os
import os.path as osp
from typing import Dict, List

import numpy as np
import torch
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from PIL import Image

import dilemma_mm  # noqa: F401  (compatibility fixes and registration)
from dilemma_mm.datasets.generators import render_shape, sample_rng
from dilemma_mm.datasets.generators.nuisances import (CONTINUOUS,
                                                      nuisance_labels)
from dilemma_mm.evaluation.knn import (build_cls_preprocessor,
                                       build_feature_backbone, eval_pipeline,
                                       extract_features, knn_evaluate)
from dilemma_mm.utils import load_config


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='pretraining or classifier config')
    parser.add_argument('checkpoint', help='algorithm or backbone checkpoint')
    parser.add_argument(
        '--data', default='data/shapes', help='a folder of make_shapes.py')
    parser.add_argument('--prefix', default='backbone.')
    parser.add_argument('--batch-size', type=int, default=256)
    parser.add_argument('--out', help='also write the results to this JSON')
    return parser.parse_args(argv)


def read_params(data: str) -> dict:
    """The generator parameters of a shape folder (its ``meta.json``)."""
    meta_file = osp.join(data, 'meta.json')
    if not osp.isfile(meta_file):
        raise SystemExit(f'{data} has no meta.json: this tool needs a '
                         'folder written by make_shapes.py')
    with open(meta_file) as f:
        return json.load(f)['params']


def image_nuisances(path: str, split: str, params: dict,
                    check: bool) -> Dict[str, float]:
    """Draw the nuisances of one image again from its name; with ``check``
    also its pixels, which must equal the file's."""
    shape = osp.basename(osp.dirname(path))
    index = int(osp.splitext(osp.basename(path))[0])
    image, drawn = render_shape(
        sample_rng(params['seed'], split, shape, index),
        shape,
        params['size'],
        return_params=True,
        max_rotation=params['max_rotation'],
        style=params.get('style', 'flat'))
    if check and not np.array_equal(image, np.asarray(Image.open(path))):
        raise SystemExit(f'{path} is not the image its name draws: the '
                         'folder was changed or written by another '
                         'generator version')
    return nuisance_labels(drawn, params.get('style', 'flat'))


def folder_nuisances(paths: List[str], split: str,
                     params: dict) -> Dict[str, np.ndarray]:
    """Per-image nuisance values of ``paths``, one array per nuisance
    (the first images are checked against their files)."""
    rows = [
        image_nuisances(p, split, params, check=i < 8)
        for i, p in enumerate(paths)
    ]
    return {
        k: np.array([r[k] for r in rows], dtype=np.float64)
        for k in rows[0]
    }


def main(argv=None) -> dict:
    args = parse_args(argv)
    params = read_params(args.data)
    cfg = load_config(args.config)
    init_default_scope(cfg.get('default_scope', 'dilemma_mm'))
    logger = MMLogger.get_instance('shapes_shortcut_knn', log_level='INFO')
    backbone, _ = build_feature_backbone(cfg.model.backbone, args.checkpoint,
                                         args.prefix, logger)
    preprocessor = build_cls_preprocessor(
        cfg.model.get('data_preprocessor') or cfg.get('data_preprocessor'))

    img_size = cfg.model.backbone.get('img_size', params['size'])
    pipeline = eval_pipeline(img_size)
    feats, labels, nuisances = {}, {}, {}
    for split in ('train', 'val'):
        loader = Runner.build_dataloader(
            dict(
                batch_size=args.batch_size,
                num_workers=0,
                sampler=dict(type='DefaultSampler', shuffle=False),
                collate_fn=dict(type='default_collate'),
                dataset=dict(
                    type='CustomDataset',
                    data_root=args.data,
                    data_prefix=split,
                    pipeline=pipeline)))
        feats[split], labels[split] = extract_features(backbone, loader,
                                                       preprocessor)
        paths = [
            loader.dataset.get_data_info(i)['img_path']
            for i in range(len(loader.dataset))
        ]
        nuisances[split] = folder_nuisances(paths, split, params)

    def knn_top1(train_y, val_y, train_has=None, val_has=None) -> float:
        """k-NN top-1 over the images that have the property (masks)."""
        train_has = slice(None) if train_has is None else train_has
        val_has = slice(None) if val_has is None else val_has
        return knn_evaluate(
            feats['train'][train_has],
            torch.as_tensor(train_y),
            feats['val'][val_has],
            torch.as_tensor(val_y),
            topk=(1, ))['top1']

    def majority(train_y, val_y) -> float:
        values, counts = np.unique(train_y, return_counts=True)
        return 100. * float(np.mean(val_y == values[counts.argmax()]))

    results = dict(
        config=args.config,
        checkpoint=args.checkpoint,
        property={
            'class':
            dict(
                knn_top1=knn_top1(labels['train'], labels['val']),
                majority=majority(labels['train'].numpy(),
                                  labels['val'].numpy()))
        })
    continuous = CONTINUOUS[params.get('style', 'flat')]
    for name, train_values in nuisances['train'].items():
        val_values = nuisances['val'][name]
        # NaN: the image has no such property (a dot texture's orientation)
        train_has, val_has = ~np.isnan(train_values), ~np.isnan(val_values)
        train_values, val_values = train_values[train_has], val_values[val_has]
        if name in continuous:  # above or below the training median
            median = np.median(train_values)
            train_values = train_values > median
            val_values = val_values > median
        train_values = train_values.astype(np.int64)
        val_values = val_values.astype(np.int64)
        results['property'][name] = dict(
            knn_top1=knn_top1(train_values, val_values,
                              torch.from_numpy(train_has),
                              torch.from_numpy(val_has)),
            majority=majority(train_values, val_values))
    print(f'{"property":<14} {"k-NN top-1":>10} {"majority":>9}')
    for name, row in results['property'].items():
        print(f'{name:<14} {row["knn_top1"]:>10.1f} {row["majority"]:>9.1f}')
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=2)
    return results


if __name__ == '__main__':
    main()
