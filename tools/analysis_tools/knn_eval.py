"""Weighted k-NN accuracy of a checkpoint's backbone (DINO's protocol).

The features of the training images form the memory bank, those of the
validation images are classified by their k most similar bank entries
(cosine similarity, votes weighted by exp(sim / T); k=20, T=0.07). The
feature is the normed class token, or with ``--feature patch_mean`` the
mean of the final-normed patch tokens (MAE's alternative; DILEMMA's loss
trains the patch tokens, MAE's hardly the class token). With ``--linear``
the same features also train a linear classifier to convergence
(logistic regression by L-BFGS, its weight decay chosen on a held-out
fifth of the training features; :mod:`dilemma_mm.evaluation.linear_probe`):
the linear figure of the features themselves, where the few-epoch SGD
probe (``configs/benchmarks/*-linear-*``) may stop before converging.

Examples::

    # a pretraining checkpoint (algorithm, backbone keys 'backbone.*')
    CFG=dilemma-mocov3_vit-tiny-p8-convstem_1xb128-coslr-8e_shapes
    python tools/analysis_tools/knn_eval.py configs/dilemma/$CFG.py \\
        work_dirs/$CFG/epoch_8.pth
    # MoCo v3's momentum encoder instead of the online one
    python tools/analysis_tools/knn_eval.py CONFIG CKPT \\
        --prefix momentum_encoder.module.0.
    # YOGA-82 evaluates on its 'test' split
    python tools/analysis_tools/knn_eval.py CONFIG CKPT --val-split test
    # the mean of the patch tokens instead of the class token
    python tools/analysis_tools/knn_eval.py CONFIG CKPT --feature patch_mean
    # also a converged linear classifier on the same features
    python tools/analysis_tools/knn_eval.py CONFIG CKPT --linear

Datasets: the memory bank is the config's ``train_dataloader.dataset`` and
the queries its ``val_dataloader.dataset`` if the config has one; otherwise
(pretraining configs) the training dataset with ``split='val'``, or
``data_prefix='val'`` for folder datasets such as the shape data.
``--train-split`` / ``--val-split`` set ``split`` (or ``data_prefix``) of
either. Images go through an evaluation pipeline: the config's validation
pipeline if it has one, else resize the short side and centre crop to the
backbone's ``img_size`` (crop ratio 224/256 from 128 px up; smaller images,
such as the 32 px shape data, are only resized, since a crop would cut the
object's outline). The tool runs in one process; the training-time hook
``KNNMonitorHook`` also runs distributed.
"""
import argparse
import copy
import json
import os
import os.path as osp

import torch
from mmengine.config import DictAction
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

import dilemma_mm  # noqa: F401  (compatibility fixes and registration)
from dilemma_mm.checkpoint import check_checkpoint_file
from dilemma_mm.evaluation.knn import (FEATURE_OUT_TYPES,
                                       build_cls_preprocessor,
                                       build_feature_backbone, eval_pipeline,
                                       extract_features, knn_evaluate)
from dilemma_mm.evaluation.linear_probe import linear_probe_evaluate
from dilemma_mm.utils import load_config


def positive(kind):
    """An argparse type: a number of ``kind`` above 0."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or value <= 0:
            raise argparse.ArgumentTypeError(
                f'must be {"an integer" if kind is int else "a number"} '
                f'above 0, got {text!r}')
        return value

    return parse


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='k-NN evaluation of a backbone checkpoint')
    parser.add_argument('config', help='pretraining or classifier config')
    parser.add_argument(
        'checkpoint',
        help='algorithm checkpoint (backbone under --prefix) or a '
        'backbone-only state dict')
    parser.add_argument(
        '--k', type=positive(int), default=20, help='neighbours')
    parser.add_argument(
        '--temperature',
        type=positive(float),
        default=0.07,
        help='vote temperature')
    parser.add_argument(
        '--feature',
        choices=list(FEATURE_OUT_TYPES),
        default='cls_token',
        help='the normed class token (default) or the mean of the '
        'final-normed patch tokens')
    parser.add_argument(
        '--prefix',
        default='backbone.',
        help='key prefix of the backbone in the checkpoint')
    parser.add_argument(
        '--train-split',
        help="split (or data_prefix) of the memory bank, e.g. 'train'")
    parser.add_argument(
        '--val-split',
        help="split (or data_prefix) of the queries, e.g. 'val'")
    parser.add_argument(
        '--img-size',
        type=int,
        help='evaluation image size (default: the backbone img_size); '
        'given, the default pipeline replaces the config\'s')
    parser.add_argument(
        '--crop-ratio',
        type=float,
        help='crop / resize ratio of the default pipeline (default 0.875 '
        'from 128 px up, else 1)')
    parser.add_argument(
        '--linear',
        action='store_true',
        help='also fit a linear classifier to convergence on the same '
        'features (L-BFGS logistic regression) and report its accuracy')
    parser.add_argument('--batch-size', type=positive(int), default=64)
    parser.add_argument('--num-workers', type=int, default=2)
    parser.add_argument(
        '--device',
        default='cuda' if torch.cuda.is_available() else 'cpu',
        help='device to run the backbone on')
    parser.add_argument('--out', help='also write the metrics to this JSON')
    parser.add_argument(
        '--allow-partial',
        action='store_true',
        help='evaluate a checkpoint that leaves backbone weights missing or '
        'unexpected (refused by default); the keys go into the result')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. model.backbone.img_size=64')
    return parser.parse_args(argv)


def set_split(dataset_cfg: dict, split: str) -> dict:
    """The dataset config with its split (or image folder) set to ``split``."""
    dataset_cfg = copy.deepcopy(dataset_cfg)
    if 'split' in dataset_cfg:
        dataset_cfg['split'] = split
        # An explicit annotation file would override the split.
        dataset_cfg.pop('ann_file', None)
    elif isinstance(dataset_cfg.get('data_prefix', ''), str):
        if dataset_cfg.get('ann_file'):
            raise ValueError('cannot change the split of a dataset read from '
                             f'{dataset_cfg["ann_file"]}; give a config '
                             'with a val_dataloader instead')
        dataset_cfg['data_prefix'] = split
    else:
        raise ValueError(
            f'cannot set the split of {dataset_cfg.get("type")} '
            f'(neither split nor a str data_prefix); use a config with a '
            'val_dataloader')
    return dataset_cfg


def knn_dataset_cfgs(cfg, args) -> dict:
    """Dataset configs of the memory bank and the queries."""
    train = copy.deepcopy(cfg.train_dataloader.dataset)
    val_loader = cfg.get('val_dataloader')
    val = copy.deepcopy(val_loader.dataset) if val_loader else None
    if args.train_split:
        train = set_split(train, args.train_split)
    if args.val_split:
        val = set_split(val or train, args.val_split)
    elif val is None:
        val = set_split(train, 'val')
    backbone = cfg.model.backbone
    img_size = args.img_size or backbone.get('img_size', 224)
    if isinstance(img_size, (tuple, list)):
        img_size = img_size[0]
    pipeline = eval_pipeline(img_size, args.crop_ratio)
    if args.img_size is None and args.crop_ratio is None and val_loader:
        pipeline = copy.deepcopy(val_loader.dataset.pipeline)
    for dataset in (train, val):
        dataset['pipeline'] = pipeline
    return dict(train=train, val=val)


def main(argv=None) -> dict:
    args = parse_args(argv)
    check_checkpoint_file(args.checkpoint)  # before any work, by name
    cfg = load_config(args.config, args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'dilemma_mm'))
    logger = MMLogger.get_instance('knn_eval', log_level='INFO')

    backbone, load_result = build_feature_backbone(cfg.model.backbone,
                                                   args.checkpoint,
                                                   args.prefix, logger,
                                                   args.allow_partial,
                                                   args.feature)
    device = torch.device(args.device)
    backbone.to(device)
    preprocessor = build_cls_preprocessor(
        cfg.model.get('data_preprocessor') or cfg.get('data_preprocessor'))
    preprocessor.to(device)

    parts = {}
    for name, dataset in knn_dataset_cfgs(cfg, args).items():
        loader = Runner.build_dataloader(
            dict(
                batch_size=args.batch_size,
                num_workers=args.num_workers,
                sampler=dict(type='DefaultSampler', shuffle=False),
                collate_fn=dict(type='default_collate'),
                dataset=dataset))
        parts[name] = extract_features(backbone, loader, preprocessor, device)
        logger.info(f'{name}: {len(parts[name][1])} images, {args.feature} '
                    f'features of dimension {parts[name][0].shape[1]}')
    k = min(args.k, len(parts['train'][1]))
    if k < args.k:  # say so rather than report a k that was not used
        logger.warning(f'--k {args.k} is more than the '
                       f'{len(parts["train"][1])} training images: every '
                       f'one votes, k={k}')
    metrics = knn_evaluate(*parts['train'], *parts['val'], k, args.temperature)
    result = dict(
        config=args.config,
        checkpoint=args.checkpoint,
        feature=args.feature,
        k=k,
        temperature=args.temperature,
        num_train=len(parts['train'][1]),
        num_val=len(parts['val'][1]),
        **{
            f'knn_{key}': value
            for key, value in metrics.items()
        })
    if load_result['missing_keys'] or load_result['unexpected_keys']:
        result['partial_load'] = load_result  # only with --allow-partial
    print(f'k-NN (k={k}, T={args.temperature}): '
          f'top-1 {metrics["top1"]:.2f}  top-5 {metrics["top5"]:.2f}  '
          f'({result["num_val"]} val / {result["num_train"]} train images)')
    if args.linear:
        linear = linear_probe_evaluate(*parts['train'], *parts['val'])
        result.update({
            f'linear_{key}': value
            for key, value in linear.items()
        })
        print(f'linear (converged, weight decay {linear["weight_decay"]:g}):'
              f' top-1 {linear["top1"]:.2f}  top-5 {linear["top5"]:.2f}')
        if linear['weight_decay_at_edge']:
            print('linear: the smallest weight decay tried read the most on '
                  'the held-out share; less might read more, so this top-1 '
                  'is a lower bound')
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == '__main__':
    main()
