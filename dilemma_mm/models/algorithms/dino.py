from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmengine.logging import MessageHub
from mmpretrain.models.selfsup import BaseSelfSupervisor
from mmpretrain.structures import DataSample

from dilemma_mm.registry import MODELS
from ..utils import ForeachCosineEMA, koleo_loss
from .view_groups import group_by_size


@MODELS.register_module()
class DINO(BaseSelfSupervisor):
    """DINO: self-distillation with no labels.

    Implementation of `Emerging Properties in Self-Supervised Vision
    Transformers <https://arxiv.org/abs/2104.14294>`_. The student (backbone
    + ``DINONeck``) encodes every view of the multi-crop ``MultiView``,
    global ones first; the teacher, a :class:`ForeachCosineEMA` of the
    student (mmpretrain's ``CosineEMA`` without device syncs), encodes the
    global views without gradient and in eval mode (no drop path).

    During the first ``freeze_last_layer_epochs`` epochs (read from the
    runner's ``MessageHub``) no gradient reaches the last layer of the
    student's projection head, as in DINO; under DDP that needs
    ``find_unused_parameters=True``.

    Args:
        backbone (dict): Config of the ViT (``out_type='cls_token'``).
        neck (dict): Config of the :class:`DINONeck`.
        head (dict): Config of the :class:`DINOHead`.
        base_momentum (float): Start weight ``1 - m`` of the student in the
            teacher update, annealed to 0 with a cosine (DINO's momentum
            0.996 -> 1 is 0.004). Defaults to 0.004.
        num_global_crops (int): The first ``num_global_crops`` inputs are
            the global views the teacher sees. Defaults to 2.
        freeze_last_layer_epochs (int): Epochs without gradient at the last
            layer. Defaults to 1.
        koleo_weight (float): Weight of DINOv2's KoLeo term
            (:func:`koleo_loss`) on the student's backbone features of each
            global view, logged as ``loss_koleo``; 0 leaves it out.
            Defaults to 0.
        pretrained (str, optional): Pretrained checkpoint path.
            Defaults to None.
        data_preprocessor (dict, optional): Config of the data preprocessor.
            Defaults to None (``SelfSupDataPreprocessor``).
        init_cfg (dict | list[dict], optional): Initialization config.
            Defaults to None.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 base_momentum: float = 0.004,
                 num_global_crops: int = 2,
                 freeze_last_layer_epochs: int = 1,
                 koleo_weight: float = 0.,
                 pretrained: Optional[str] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[List[dict], dict]] = None) -> None:
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            pretrained=pretrained,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self.teacher = ForeachCosineEMA(
            nn.Sequential(self.backbone, self.neck), momentum=base_momentum)
        self.teacher.eval()
        self.num_global_crops = num_global_crops
        self.freeze_last_layer_epochs = freeze_last_layer_epochs
        if koleo_weight < 0:
            raise ValueError(f'koleo_weight must be >= 0, got {koleo_weight}.')
        self.koleo_weight = koleo_weight

    def train(self, mode: bool = True) -> 'DINO':
        """Set the mode of the student; the teacher stays in eval mode (no
        drop path), but a BatchNorm in its head normalises with the batch's
        statistics, as DINO's teacher (in train mode) does."""
        super().train(mode)
        self.teacher.eval()
        for module in self.teacher.module[1].modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.train(mode)
        return self

    group_by_size = staticmethod(group_by_size)

    def student_features(
        self, inputs: List[torch.Tensor], data_samples: List[DataSample]
    ) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        """Backbone features of every view, view after view, (n_views * B,
        C), one pass per group, and the losses the encoding adds (none)."""
        features = [
            self.backbone(torch.cat([inputs[i] for i in group]))[-1]
            for group in self.group_by_size(inputs)
        ]  # (len(group) * B, C) each
        return torch.cat(features), {}

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        """DINO loss of the views.

        Args:
            inputs (List[torch.Tensor]): The views, global ones first,
                (B, C_in, H_v, W_v) each.
            data_samples (List[DataSample]): The data samples.

        Returns:
            Dict[str, torch.Tensor]: ``loss_dino`` and whatever
            :meth:`student_features` adds.
        """
        assert isinstance(inputs, list)
        global_views = torch.cat(inputs[:self.num_global_crops])

        # teacher: clean global views, [num_global * N, D], no gradient
        with torch.no_grad():
            self.teacher.update_parameters(
                nn.Sequential(self.backbone, self.neck))
            teacher_scores = self.teacher(global_views)[0]

        # student: every view, [num_views * N, D]
        features, losses = self.student_features(inputs, data_samples)
        epoch = MessageHub.get_current_instance().get_info('epoch', 0)
        student_scores = self.neck((features, ),
                                   freeze_last_layer=epoch
                                   < self.freeze_last_layer_epochs)[0]

        losses['loss_dino'] = self.head.loss(
            student_scores.chunk(len(inputs)),
            teacher_scores.chunk(self.num_global_crops))
        if self.koleo_weight > 0:
            global_features = features[:len(global_views)].chunk(
                self.num_global_crops)  # (B, C) per global view
            losses['loss_koleo'] = self.koleo_weight * sum(
                koleo_loss(view_features)
                for view_features in global_features) / len(global_features)
        return losses
