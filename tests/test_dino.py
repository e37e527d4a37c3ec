"""DINO and DILEMMA + DINO: multi-crop, centring, temperatures, teacher,
last-layer freezing, weight-decay schedule, two processes."""
import copy
import os
import os.path as osp
import re
import types

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import REPO_ROOT, run_tool
from mmengine.config import Config
from mmengine.optim import OptimWrapper, build_optim_wrapper
from mmengine.registry import init_default_scope
from tiny_models import (ARCH, DIMS, SeqLenRecorder, build, load_weights,
                         make_batch)
from two_ranks import init_gloo, run_on_two_ranks

from dilemma_mm.engine.hooks import DINOTeacherTempWarmupHook
from dilemma_mm.models.algorithms import DINO, DilemmaDINO, TokenLayout
from dilemma_mm.models.heads import DINOHead
from dilemma_mm.models.utils import koleo_loss
from dilemma_mm.registry import TRANSFORMS

SHAPES_DINO = ('configs/dino/'
               'dino_vit-tiny-p8-convstem_1xb128-coslr-6e_shapes.py')
OUT = 64
NUM_LOCAL = 3
GLOBAL_GRID, LOCAL_GRID = 16, 4  # 32 px and 16 px crops, patch 8


def dino_cfg(algorithm='DINO', backbone='VisionTransformer') -> dict:
    return dict(
        type=algorithm,
        backbone=dict(
            type=backbone,
            arch=ARCH,
            img_size=32,
            patch_size=8,
            out_type='cls_token'),
        neck=dict(
            type='DINONeck',
            in_channels=DIMS,
            out_channels=OUT,
            hidden_channels=32,
            bottleneck_channels=16),
        head=dict(type='DINOHead', out_channels=OUT))


def multi_crop(config=SHAPES_DINO, global_size=32, local_size=16) -> dict:
    """The multi-crop ``MultiView`` of a DINO config, resized for tests."""
    view = copy.deepcopy(
        Config.fromfile(osp.join(REPO_ROOT, config)).multi_crop)
    for crops, size in zip(view.transforms,
                           (global_size, global_size, local_size)):
        crops[0]['scale'] = size
    view.num_views = [1, 1, NUM_LOCAL]
    return view


def batch(drop_ratio=0.5, misplace_prob=0.25, keys=('keep', 'pos'), seed=0):
    """A collated batch of 4 from the real multi-crop pipeline."""
    return make_batch([multi_crop()], drop_ratio, misplace_prob, keys, seed)


# ColorJitter's (brightness, contrast, saturation, hue) ranges: DINO's, and
# the CPU recipes' stronger saturation and hue (shapes32_bs128_mocov3.py).
DINO_JITTER = [(0.6, 1.4), (0.6, 1.4), (0.8, 1.2), (-0.1, 0.1)]
CPU_JITTER = [(0.6, 1.4), (0.6, 1.4), (0.2, 1.8), (-0.5, 0.5)]


@pytest.mark.parametrize('config,sizes,num_local,jitter_ranges', [
    (SHAPES_DINO, (32, 16), 4, CPU_JITTER),
    ('configs/dino/dino_vit-small-p16_8xb64-amp-coslr-100e_in1k.py',
     (224, 96), 8, DINO_JITTER),
])
def test_config_multi_crop_is_dinos_augmentation(config, sizes, num_local,
                                                 jitter_ranges):
    """DINO's DataAugmentationDINO: 2 global crops of 40-100 % of the image,
    N local ones of 5-40 %, all flipped, colour-jittered and grayscaled
    alike; blur always on the first global crop, with probability 0.1 (and
    solarisation 0.2) on the second, 0.5 on the local ones. (The flip is
    found by type: it commutes with the colour transforms, and the CPU
    recipe applies it after them, as its MoCo v3 views do.)"""
    init_default_scope('dilemma_mm')
    view = TRANSFORMS.build(
        Config.fromfile(osp.join(REPO_ROOT, config)).multi_crop)
    assert view.num_views == [1, 1, num_local]
    crops = view({'img': np.zeros((120, 100, 3), np.uint8)})['img']
    (global_size, local_size) = sizes
    assert [c.shape
            for c in crops] == ([(global_size, global_size, 3)] * 2 +
                                [(local_size, local_size, 3)] * num_local)

    blur_probs, solarize_probs = [], []
    for pipeline, size, area in zip(view.pipelines,
                                    (global_size, global_size, local_size),
                                    ((0.4, 1.0), (0.4, 1.0), (0.05, 0.4))):
        crop, *others = pipeline.transforms
        by_type = {type(t).__name__: t for t in others}
        flip, jitter, gray, blur = (
            by_type.pop(name) for name in ('RandomFlip', 'RandomApply',
                                           'RandomGrayscale', 'GaussianBlur'))
        solarize = [by_type.pop('Solarize')] if 'Solarize' in by_type else []
        assert not by_type and others[-1 - len(solarize)] is blur
        assert (crop.scale, crop.crop_ratio_range) == ((size, size), area)
        assert crop.interpolation == 'bicubic'
        assert (flip.prob, flip.direction) == (0.5, 'horizontal')
        color = jitter.transforms.transforms[0]
        assert jitter.prob == 0.8 and type(color).__name__ == 'ColorJitter'
        ranges = (color.brightness, color.contrast, color.saturation,
                  color.hue)
        assert np.allclose(ranges, jitter_ranges)
        assert (gray.prob, gray.keep_channels) == (0.2, True)
        assert blur.magnitude_range == (0.1, 2.0)
        blur_probs.append(blur.prob)
        solarize_probs.append([(t.thr, t.prob) for t in solarize])
    assert blur_probs == [1.0, 0.1, 0.5]
    assert solarize_probs == [[], [(128, 0.2)], []]


def test_multi_crop_sizes_and_grids():
    data = batch()
    crops = data['inputs']
    assert [tuple(c.shape[-2:])
            for c in crops] == [(32, 32)] * 2 + [(16, 16)] * NUM_LOCAL
    keep = data['data_samples'][0].keep
    # every crop its own grid: half of 16 and of 4 tokens
    assert [len(k) for k in keep] == [8, 8] + [2] * NUM_LOCAL
    assert max(k.max() for k in keep[2:]) < LOCAL_GRID


def test_centre_moves_toward_batch_mean_at_its_rate():
    head = DINOHead(out_channels=8, center_momentum=0.8)
    head.center.fill_(1.)
    teacher = [torch.randn(5, 8), torch.randn(5, 8)]
    student = [torch.randn(5, 8) for _ in range(4)]
    head.loss(student, teacher)
    batch_mean = torch.cat(teacher).mean(0, keepdim=True)
    torch.testing.assert_close(head.center, 0.8 * 1. + 0.2 * batch_mean)


def test_loss_pairs_different_crops_only():
    head = DINOHead(out_channels=8, student_temp=0.1, teacher_temp=0.05)
    teacher = [torch.randn(5, 8), torch.randn(5, 8)]
    student = [torch.randn(5, 8) for _ in range(4)]

    def cross_entropy(t, s):
        probs = torch.softmax(teacher[t] / 0.05, -1)  # centre is 0
        return -(probs *
                 torch.log_softmax(student[s] / 0.1, -1)).sum(-1).mean()

    pairs = [(t, s) for t in range(2) for s in range(4) if s != t]
    assert len(pairs) == 6
    expected = sum(cross_entropy(t, s) for t, s in pairs) / len(pairs)
    torch.testing.assert_close(head.loss(student, teacher), expected)


def test_sinkhorn_knopp_shares_prototypes_equally():
    """Each view's teacher distribution sums to 1 and, once converged, every
    prototype gets 1 / K of the batch."""
    head = DINOHead(
        out_channels=6,
        teacher_temp=0.5,
        centering='sinkhorn_knopp',
        sinkhorn_iterations=50)
    probs = head.sinkhorn_knopp(torch.randn(12, 6))
    torch.testing.assert_close(probs.sum(1), torch.ones(12))
    torch.testing.assert_close(
        probs.sum(0), torch.full((6, ), 2.), atol=1e-3, rtol=0)


def test_sinkhorn_knopp_removes_what_every_image_shares():
    """A score every image shares (a random ViT's near-identical class
    tokens) does not move the Sinkhorn-Knopp teacher, where the running
    centre, still far from the batch mean, lets it make every image's
    teacher the same."""
    differences = 0.3 * torch.randn(10, 8)
    shared = torch.zeros(1, 8)
    shared[0, 3] = 5.
    sinkhorn = DINOHead(
        out_channels=8, teacher_temp=0.1, centering='sinkhorn_knopp')
    torch.testing.assert_close(
        sinkhorn.sinkhorn_knopp(differences + shared),
        sinkhorn.sinkhorn_knopp(differences))
    # the same views through the running centre (0 at the start)
    centred = DINOHead(out_channels=8, teacher_temp=0.1)
    student = [torch.zeros(10, 8)] * 2
    shared_argmax = shared.argmax()
    centred.loss(student, [differences + shared] * 2)  # the centre moves
    probs = torch.softmax((differences + shared - centred.center) / 0.1, -1)
    assert (probs.argmax(1) == shared_argmax).all()
    assert (sinkhorn.sinkhorn_knopp(differences + shared).argmax(1)
            != shared_argmax).any()


def test_sinkhorn_knopp_loss_is_cross_entropy_to_its_teacher():
    head = DINOHead(
        out_channels=8,
        student_temp=0.1,
        teacher_temp=0.05,
        centering='sinkhorn_knopp')
    teacher = [torch.randn(5, 8), torch.randn(5, 8)]
    student = [torch.randn(5, 8) for _ in range(3)]
    targets = head.sinkhorn_knopp(torch.cat(teacher)).chunk(2)
    expected = sum(
        -(targets[t] * torch.log_softmax(student[s] / 0.1, -1)).sum(-1).mean()
        for t in range(2) for s in range(3) if s != t) / 4
    torch.testing.assert_close(head.loss(student, teacher), expected)


@pytest.mark.parametrize('kwargs,match', [
    (dict(centering='softmax'), 'centering'),
    (dict(centering='sinkhorn_knopp',
          sinkhorn_iterations=0), 'sinkhorn_iterations'),
])
def test_head_rejects_bad_centering(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DINOHead(out_channels=8, **kwargs)


def test_koleo_repels_the_nearest_neighbours():
    """KoLeo is higher for a batch with a near-duplicate, and a gradient
    step on it moves the duplicates apart."""
    spread = torch.cat([torch.eye(4), -torch.eye(4)])  # neighbours at 1.41
    duplicated = spread.clone()
    duplicated[1] = spread[0] + torch.tensor([0., 0.01, 0.01, 0.])
    assert koleo_loss(duplicated) > koleo_loss(spread) + 1.
    features = duplicated.clone().requires_grad_()
    koleo_loss(features).backward()
    with torch.no_grad():
        stepped = F.normalize(features - 0.01 * features.grad, dim=1)
    before = (F.normalize(duplicated, dim=1)[0] -
              F.normalize(duplicated, dim=1)[1]).norm()
    assert (stepped[0] - stepped[1]).norm() > before
    with pytest.raises(ValueError, match='N >= 2'):
        koleo_loss(torch.randn(1, 4))


def test_koleo_weight_adds_its_loss_on_global_views():
    torch.manual_seed(0)
    plain = build(dino_cfg())
    torch.manual_seed(0)
    with_koleo = build(dict(dino_cfg(), koleo_weight=0.5))
    data = plain.data_preprocessor(batch(drop_ratio=0.), True)
    torch.manual_seed(1)
    losses = with_koleo.loss(data['inputs'], data['data_samples'])
    torch.manual_seed(1)
    plain_losses = plain.loss(data['inputs'], data['data_samples'])
    assert 'loss_koleo' not in plain_losses
    torch.testing.assert_close(losses['loss_dino'], plain_losses['loss_dino'])
    with torch.no_grad():
        features = plain.backbone(torch.cat(data['inputs'][:2]))[-1]
    expected = sum(koleo_loss(f) for f in features.chunk(2)) / 2
    torch.testing.assert_close(losses['loss_koleo'], 0.5 * expected)
    with pytest.raises(ValueError, match='koleo_weight'):
        build(dict(dino_cfg(), koleo_weight=-1.))


def test_teacher_temperature_schedule_and_hook():
    hook = DINOTeacherTempWarmupHook(
        warmup_teacher_temp=0.04, teacher_temp=0.07, warmup_epochs=3)
    expected = [0.04, 0.055, 0.07, 0.07, 0.07]
    assert [hook.temperature(e) for e in range(5)] == pytest.approx(expected)
    assert DINOTeacherTempWarmupHook(0.02, 0.07, 0).temperature(0) == 0.07

    model = build(dino_cfg())
    for epoch, temp in enumerate(expected):
        hook.before_train_epoch(
            types.SimpleNamespace(model=model, epoch=epoch))
        assert model.head.teacher_temp == pytest.approx(temp)
    with pytest.raises(AttributeError, match='teacher_temp'):
        hook.before_train_epoch(
            types.SimpleNamespace(model=torch.nn.Linear(1, 1), epoch=0))


def wd_scheduler_cfg(end: int, by_epoch: bool) -> dict:
    """The DINO configs' weight-decay schedule (0.04 -> 0.4)."""
    return dict(
        type='CosineAnnealingParamScheduler',
        param_name='weight_decay',
        eta_min_ratio=10.,
        by_epoch=by_epoch,
        begin=0,
        end=end)


def test_weight_decay_schedule_is_dinos_and_skips_norms():
    from mmengine.registry import PARAM_SCHEDULERS
    model = build(dino_cfg())
    optim_wrapper = build_optim_wrapper(
        model,
        dict(
            optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.04),
            paramwise_cfg=dict(norm_decay_mult=0., bias_decay_mult=0.)))
    scheduler = PARAM_SCHEDULERS.build(
        wd_scheduler_cfg(10, False),
        default_args=dict(optimizer=optim_wrapper))
    groups = optim_wrapper.optimizer.param_groups
    decayed = [g for g in groups if g['weight_decay'] > 0]
    assert decayed and len(decayed) < len(groups)  # norms, biases: none
    seen = []
    # the value of each of the 10 iterations (t = 0..9)
    for it in range(10):
        # DINO's per-iteration ``cosine_scheduler(0.04, 0.4, ...)``
        dino = 0.4 + (0.04 - 0.4) * (1 + np.cos(np.pi * it / 10)) / 2
        for group in groups:
            expected = dino if group['initial_weight_decay'] else 0.
            assert group['weight_decay'] == pytest.approx(
                expected, rel=1e-9, abs=1e-15), it
        seen.append(decayed[0]['weight_decay'])
        scheduler.step()
    assert [seen[i] for i in (0, 5, 9)] == pytest.approx([0.04, 0.22, 0.39119],
                                                         abs=1e-5)


def test_teacher_gets_no_gradient():
    model = build(dino_cfg())
    assert model.teacher.training is False
    model.train()
    assert model.teacher.training is False and model.backbone.training
    data = model.data_preprocessor(batch(keys=()), True)
    losses = model(**data, mode='loss')
    losses['loss_dino'].backward()
    for name, param in model.teacher.named_parameters():
        assert not param.requires_grad and param.grad is None, name
    assert model.backbone.cls_token.grad.abs().sum() > 0


def test_head_batch_norm_keeps_images_apart_at_init():
    """With ``use_bn`` the teacher's head normalises with the batch's
    statistics (DINO's teacher is in train mode) while the rest of the
    teacher stays in eval mode; its centred output then tells images apart
    at init far more than the BN-free head's (on the 32 px shape data the
    BN-free teacher is uniform: entropy 6.93 = ln 1024, against 5.0)."""
    entropies = {}
    for use_bn in (False, True):
        cfg = dino_cfg()
        cfg['neck']['use_bn'] = use_bn
        model = build(cfg)
        model.train()
        teacher_bns = [
            m for m in model.teacher.modules()
            if isinstance(m, torch.nn.BatchNorm1d)
        ]
        assert len(teacher_bns) == (2 if use_bn else 0)
        assert all(m.training for m in teacher_bns)
        assert not model.teacher.module[0].training  # no drop path
        torch.manual_seed(0)
        images = torch.randn(16, 3, 32, 32)
        with torch.no_grad():
            scores = model.teacher(images)[0]
        centred = scores - scores.mean(0, keepdim=True)
        probs = torch.softmax(centred / 0.04, dim=-1)
        entropies[use_bn] = -(probs * probs.log()).sum(-1).mean().item()
    assert entropies[True] < entropies[False] - 1.0, entropies


@pytest.mark.parametrize('epoch', [0, 1])
def test_last_layer_frozen_in_the_first_epoch(epoch):
    model = build(dino_cfg(), epoch=epoch)
    before = model.neck.last_layer_v.detach().clone()
    optim_wrapper = OptimWrapper(torch.optim.AdamW(model.parameters()))
    log_vars = model.train_step(batch(keys=()), optim_wrapper)
    assert torch.isfinite(log_vars['loss'])
    frozen = torch.equal(model.neck.last_layer_v, before)
    assert frozen == (epoch == 0)
    assert not torch.equal(
        model.neck.mlp[0].weight,
        model.teacher.module[1].mlp[0].weight)  # the student moved


def test_dilemma_dino_teacher_sees_clean_dense_global_crops():
    model = build(dino_cfg('DilemmaDINO', 'DilemmaViT'))
    assert isinstance(model, DINO)
    data = batch()
    crops = model.data_preprocessor(data, True)['inputs']
    teacher_backbone, calls = model.teacher.module[0], []
    teacher_backbone.register_forward_pre_hook(
        lambda module, args, kwargs: calls.append((args, kwargs)),
        with_kwargs=True)
    recorder = SeqLenRecorder(student=model.backbone, teacher=teacher_backbone)
    losses = model(**model.data_preprocessor(data, True), mode='loss')

    assert set(losses) == {
        'loss_dino', 'loss_dilemma', 'acc_dilemma', 'auc_dilemma', 'ap_dilemma'
    }
    (args, kwargs), = calls  # one dense pass over both global crops
    assert len(args) == 1 and not kwargs  # no keep / pos
    torch.testing.assert_close(args[0], torch.cat(crops[:2]), rtol=0, atol=0)
    assert recorder.seq_lens['teacher'] == [1 + GLOBAL_GRID]
    # student: the global crops, then the local ones, each sparse
    assert recorder.seq_lens['student'] == [
        1 + GLOBAL_GRID // 2, 1 + LOCAL_GRID // 2
    ]


@pytest.mark.parametrize('keys', [('keep', 'pos'), ()])
def test_dilemma_disabled_is_dino(keys):
    dino = build(dino_cfg())
    dilemma = build(dino_cfg('DilemmaDINO', 'DilemmaViT'))
    load_weights(dilemma, dino)
    data = batch(drop_ratio=0., misplace_prob=0., keys=keys)
    expected = dino(**dino.data_preprocessor(data, True), mode='loss')
    losses = dilemma(**dilemma.data_preprocessor(data, True), mode='loss')
    torch.testing.assert_close(losses['loss_dino'], expected['loss_dino'])
    torch.testing.assert_close(dilemma.head.center, dino.head.center)


def test_misplacement_loss_averages_crops_not_groups():
    model = build(dino_cfg('DilemmaDINO', 'DilemmaViT'))
    assert isinstance(model, DilemmaDINO)
    crops = [torch.zeros(4, 3, 32, 32)] * 2 + [torch.zeros(4, 3, 16, 16)]
    assert model.group_by_size(crops) == [[0, 1], [2]]
    torch.nn.init.zeros_(model.misplacement_head.classifier.weight)
    torch.nn.init.zeros_(model.misplacement_head.classifier.bias)
    keep = torch.zeros(12, 2, dtype=torch.long)
    # two global crops (8 samples) with nothing misplaced, one local crop
    # (4 samples) with everything misplaced; logits 0 say "not misplaced"
    losses = model.misplacement_loss([
        (torch.zeros(8, 2, DIMS), TokenLayout(keep[:8], keep[:8])),
        (torch.zeros(4, 2, DIMS), TokenLayout(keep[8:], keep[8:] + 1)),
    ])
    torch.testing.assert_close(losses['acc_dilemma'], torch.tensor(2 / 3))
    torch.testing.assert_close(losses['loss_dilemma'],
                               torch.tensor(np.log(2.), dtype=torch.float))


def _train_step_on_rank(rank: int, port: int, out_dir: str) -> None:
    """One DDP train step of DILEMMA + DINO on this rank's own crops."""
    import torch.distributed as torch_dist
    from mmengine.model import MMDistributedDataParallel

    import dilemma_mm  # noqa: F401
    init_gloo(rank, port)
    model = build(dino_cfg('DilemmaDINO', 'DilemmaViT'))
    ddp = MMDistributedDataParallel(
        module=model, find_unused_parameters=True)  # frozen last layer
    optim_wrapper = OptimWrapper(torch.optim.AdamW(model.parameters()))
    ddp.train_step(batch(seed=rank), optim_wrapper)
    teacher = model.data_preprocessor(batch(seed=rank), True)['inputs'][:2]
    with torch.no_grad():
        scores = model.teacher(torch.cat(teacher))[0]
    torch.save(
        dict(
            center=model.head.center,
            scores=scores,
            cls_token=model.backbone.cls_token.detach()),
        os.path.join(out_dir, f'rank{rank}.pth'))
    torch_dist.destroy_process_group()


def test_two_processes_share_the_centre(tmp_path):
    run_on_two_ranks(_train_step_on_rank, tmp_path)
    ranks = [torch.load(tmp_path / f'rank{r}.pth') for r in range(2)]
    torch.testing.assert_close(ranks[0]['center'], ranks[1]['center'])
    torch.testing.assert_close(ranks[0]['cls_token'], ranks[1]['cls_token'])
    # from 0 toward the mean teacher score over both ranks (the teacher
    # has not moved since: it is updated at the start of the next step)
    scores = torch.cat([ranks[0]['scores'], ranks[1]['scores']])
    torch.testing.assert_close(ranks[0]['center'],
                               (1 - 0.9) * scores.mean(0, keepdim=True))
    assert not torch.equal(ranks[0]['scores'], ranks[1]['scores'])


def _sinkhorn_on_rank(rank: int, port: int, out_dir: str) -> None:
    """Sinkhorn-Knopp of this rank's half of a fixed batch of scores."""
    init_gloo(rank, port)
    scores = torch.randn(12, 6, generator=torch.Generator().manual_seed(0))
    head = DINOHead(
        out_channels=6, teacher_temp=0.2, centering='sinkhorn_knopp')
    probs = head.sinkhorn_knopp(scores.chunk(2)[rank])
    torch.save(probs, os.path.join(out_dir, f'sinkhorn{rank}.pth'))
    torch.distributed.destroy_process_group()


def test_two_processes_share_out_the_prototypes_over_the_global_batch(
        tmp_path):
    """Two processes with half a batch each get the rows one process gets
    from the whole batch: the prototypes' shares are global."""
    run_on_two_ranks(_sinkhorn_on_rank, tmp_path)
    halves = [torch.load(tmp_path / f'sinkhorn{r}.pth') for r in range(2)]
    scores = torch.randn(12, 6, generator=torch.Generator().manual_seed(0))
    whole = DINOHead(
        out_channels=6, teacher_temp=0.2,
        centering='sinkhorn_knopp').sinkhorn_knopp(scores)
    torch.testing.assert_close(torch.cat(halves), whole)


def test_train_tool_runs_dilemma_dino_with_its_hooks(tiny_image_folder,
                                                     tmp_path):
    """The CPU config through tools/train.py: both hooks, frozen last layer
    in epoch 1, a checkpoint with the centre."""
    config = ('configs/dilemma/'
              'dilemma-dino_vit-tiny-p8-convstem_1xb128-coslr-8e_shapes.py')
    proc = run_tool([
        'tools/train.py', config, '--work-dir', tmp_path, '--cfg-options',
        f'train_dataloader.dataset.data_root={tiny_image_folder}',
        'train_dataloader.batch_size=8', 'train_dataloader.num_workers=0',
        'train_cfg.max_epochs=2', 'model.backbone.arch.num_layers=1',
        'default_hooks.logger.interval=1'
    ])
    assert re.search(r'Epoch\(train\) \[2\]\[2/2\].*loss_dino', proc.stdout)
    assert 'loss_dilemma' in proc.stdout
    first, second = (
        torch.load(tmp_path / f'epoch_{e}.pth', weights_only=True)
        for e in (1, 2))
    # AdamW keeps state for the parameters that got a gradient: the last
    # layer (its direction v; the gain is fixed) joined in epoch 2
    assert len(
        second['optimizer']['state']) == len(first['optimizer']['state']) + 1
    decays = sorted({
        round(g['weight_decay'], 6)
        for g in second['optimizer']['param_groups']
    })
    assert decays[0] == 0 and 0.04 < decays[1] < 0.4  # cosine 0.04 -> 0.4
    assert first['state_dict']['head.center'].abs().sum() > 0
