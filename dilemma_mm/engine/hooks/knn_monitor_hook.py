"""k-NN accuracy of the backbone being pretrained, every few epochs."""
import copy
from typing import Dict, Optional, Sequence

from mmengine import dist
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from dilemma_mm.evaluation.knn import (extract_features, feature_out_type,
                                       gather_features, knn_evaluate,
                                       preprocessor_like, vit_feature)
from dilemma_mm.registry import HOOKS


@HOOKS.register_module()
class KNNMonitorHook(Hook):
    """Evaluate weighted k-NN (DINO's: k=20, T=0.07) during pretraining.

    Every ``interval`` epochs and after the last one, the features of
    ``train_dataloader`` (the memory bank) classify those of
    ``val_dataloader`` (give both an evaluation pipeline). ``knn_top1`` and
    ``knn_top5`` go to the log, the vis backends (step = epoch) and the
    message hub; the log line adds the misplacement detection of the last
    50 iterations where the algorithm logs it. Under DDP each rank extracts
    its share, rank 0 computes and broadcasts the accuracies.

    Args:
        train_dataloader (dict): Dataloader config of the memory bank.
        val_dataloader (dict): Dataloader config of the queries.
        interval (int): Epochs between evaluations. Defaults to 1.
        k (int): Neighbours. Defaults to 20.
        temperature (float): Vote temperature. Defaults to 0.07.
        topk (Sequence[int]): Reported accuracies. Defaults to (1, 5).
        backbone (str): Dotted attribute path of the evaluated module in
            the model, e.g. ``'momentum_encoder.module.0'`` for MoCo v3's
            momentum backbone. Defaults to ``'backbone'``.
        collect_device (str): ``'cpu'`` or ``'gpu'``, see above.
        prefix (str): Name prefix of the logged values. Defaults to
            ``'knn'`` (``knn_top1``).
        feature (str): What a ViT backbone gives: ``'cls_token'`` (the
            normed class token) or ``'patch_mean'`` (the mean of the
            final-normed patch tokens), whatever its ``out_type`` in
            training. Backbones without an ``out_type`` (CNNs) give their
            output, averaged over its grid. Defaults to ``'cls_token'``.
    """

    priority = 'NORMAL'

    def __init__(self,
                 train_dataloader: dict,
                 val_dataloader: dict,
                 interval: int = 1,
                 k: int = 20,
                 temperature: float = 0.07,
                 topk: Sequence[int] = (1, 5),
                 backbone: str = 'backbone',
                 collect_device: str = 'cpu',
                 prefix: str = 'knn',
                 feature: str = 'cls_token') -> None:
        if interval < 1:
            raise ValueError(f'interval must be >= 1, got {interval}')
        feature_out_type(feature)  # a typo fails before training
        self.dataloader_cfgs = dict(
            train=copy.deepcopy(train_dataloader),
            val=copy.deepcopy(val_dataloader))
        self.interval = interval
        self.k = k
        self.temperature = temperature
        self.topk = tuple(topk)
        self.backbone = backbone
        self.collect_device = collect_device
        self.prefix = prefix
        self.feature = feature
        self.dataloaders: Dict[str, object] = {}

    def _build_dataloaders(self, runner) -> None:
        for name, cfg in self.dataloader_cfgs.items():
            if isinstance(cfg, dict):
                cfg = copy.deepcopy(cfg)
                # Same order on every call; the sampler shards across ranks.
                cfg.setdefault('sampler',
                               dict(type='DefaultSampler', shuffle=False))
                cfg.setdefault('collate_fn', dict(type='default_collate'))
                cfg = runner.build_dataloader(cfg, seed=runner.seed)
            self.dataloaders[name] = cfg

    def _module(self, runner):
        module = runner.model
        if is_model_wrapper(module):
            module = module.module
        for name in self.backbone.split('.'):
            module = getattr(module, name)
        return module

    @staticmethod
    def _detection_summary(runner, window: int = 50) -> str:
        """The misplacement detection of the last ``window`` training
        iterations (mean of the logged ``auc_dilemma``, ``ap_dilemma``,
        ``acc_dilemma``), next to the k-NN it goes with; empty for
        algorithms without the DILEMMA branch."""
        parts = []
        for key in ('auc_dilemma', 'ap_dilemma', 'acc_dilemma'):
            name = f'train/{key}'
            if name in runner.message_hub.log_scalars:
                history = runner.message_hub.get_scalar(name)
                parts.append(f'{key}: {history.mean(window):.3f}')
        return '  ' + '  '.join(parts) if parts else ''

    def after_train_epoch(self, runner) -> None:
        if (self.every_n_epochs(runner, self.interval)
                or self.is_last_train_epoch(runner)):
            self.evaluate(runner)

    def evaluate(self, runner) -> Optional[Dict[str, float]]:
        """Run the k-NN evaluation now; returns and logs the accuracies."""
        if not self.dataloaders:
            self._build_dataloaders(runner)
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        preprocessor = preprocessor_like(model.data_preprocessor)
        backbone = self._module(runner)
        device = next(backbone.parameters()).device
        preprocessor.to(device)
        parts = []
        with vit_feature(backbone, self.feature):
            for name in ('train', 'val'):
                loader = self.dataloaders[name]
                feats, labels = extract_features(backbone, loader,
                                                 preprocessor, device)
                parts.append(
                    gather_features(feats, labels, len(loader.dataset),
                                    self.collect_device))
        metrics = [None]
        if dist.is_main_process():
            (train_feats, train_labels), (val_feats, val_labels) = parts
            metrics[0] = knn_evaluate(train_feats, train_labels, val_feats,
                                      val_labels, self.k, self.temperature,
                                      self.topk)
        dist.broadcast_object_list(metrics, src=0)
        metrics = {
            f'{self.prefix}_{key}': value
            for key, value in metrics[0].items()
        }
        for key, value in metrics.items():
            runner.message_hub.update_scalar(key, value)
        runner.visualizer.add_scalars(metrics, step=runner.epoch + 1)
        runner.logger.info(
            f'Epoch(knn) [{runner.epoch + 1}] ' +
            '  '.join(f'{key}: {value:.2f}'
                      for key, value in metrics.items()) +
            self._detection_summary(runner) +
            f'  (k={self.k}, T={self.temperature}, {self.feature}, '
            f'{len(self.dataloaders["train"].dataset)} train / '
            f'{len(self.dataloaders["val"].dataset)} val images)')
        return metrics
