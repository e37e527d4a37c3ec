from typing import Sequence

import torch
import torch.nn.functional as F
from mmengine.dist import all_reduce, get_world_size
from mmengine.model import BaseModule

from dilemma_mm.registry import MODELS


@MODELS.register_module()
class DINOHead(BaseModule):
    """DINO's loss: cross-entropy between a sharpened, centred teacher and
    the student, over every pair of different views.

    The teacher's scores are centred (minus ``center``) and sharpened
    (divided by ``teacher_temp``) before the softmax; the student's are
    divided by ``student_temp``. For each teacher view ``t`` and each student
    view ``s != t`` the loss is ``-sum(p_t * log p_s)`` averaged over the
    batch, and the pairs are averaged. View ``i`` of the teacher is view
    ``i`` of the student, so no view is compared with itself.

    After each loss, ``center`` moves toward the mean teacher score of the
    global batch (summed over processes with ``all_reduce``):
    ``center = m * center + (1 - m) * batch_mean``.

    With ``centering='sinkhorn_knopp'`` (DINOv2's default) the teacher's
    probabilities are instead the Sinkhorn-Knopp normalisation of
    ``exp(scores / teacher_temp)`` over the global batch: each view's row
    sums to 1 and every prototype gets the same share of the batch. The
    running centre lags the batch by ``1 / (1 - m)`` steps, so a teacher
    whose scores barely differ between images (a randomly initialised ViT
    on small images) is centred into a uniform distribution the student
    can match without learning; the per-batch equipartition cannot be
    matched by a constant student.

    ``teacher_temp`` is an attribute a hook may schedule
    (``DINOTeacherTempWarmupHook``).

    Args:
        out_channels (int): Number of prototypes (scores per view).
        student_temp (float): Student temperature. Defaults to 0.1.
        teacher_temp (float): Teacher temperature until a hook sets it.
            Defaults to 0.04.
        center_momentum (float): Momentum ``m`` of the centre.
            Defaults to 0.9.
        centering (str): ``'center'`` (DINO's running centre) or
            ``'sinkhorn_knopp'`` (DINOv2's). Defaults to ``'center'``.
        sinkhorn_iterations (int): Row and column normalisations of the
            Sinkhorn-Knopp centring. Defaults to 3 (DINOv2's).
    """

    CENTERINGS = ('center', 'sinkhorn_knopp')

    def __init__(self,
                 out_channels: int,
                 student_temp: float = 0.1,
                 teacher_temp: float = 0.04,
                 center_momentum: float = 0.9,
                 centering: str = 'center',
                 sinkhorn_iterations: int = 3) -> None:
        super().__init__()
        if centering not in self.CENTERINGS:
            raise ValueError(f'centering must be one of {self.CENTERINGS}, '
                             f'got {centering!r}.')
        if sinkhorn_iterations < 1:
            raise ValueError('sinkhorn_iterations must be >= 1, got '
                             f'{sinkhorn_iterations}.')
        self.centering = centering
        self.sinkhorn_iterations = sinkhorn_iterations
        self.student_temp = student_temp
        self.teacher_temp = teacher_temp
        self.center_momentum = center_momentum
        self.register_buffer('center', torch.zeros(1, out_channels))

    def loss(self, student_scores: Sequence[torch.Tensor],
             teacher_scores: Sequence[torch.Tensor]) -> torch.Tensor:
        """Cross-entropy over pairs of different views; updates the centre.

        Args:
            student_scores (Sequence[torch.Tensor]): One (B, out_channels)
                tensor per view, global views first.
            teacher_scores (Sequence[torch.Tensor]): One (B, out_channels)
                tensor per global view, in the same order.

        Returns:
            torch.Tensor: The averaged cross-entropy.
        """
        if self.centering == 'sinkhorn_knopp':
            teacher_probs = self.sinkhorn_knopp(
                torch.cat(list(teacher_scores))).chunk(len(teacher_scores))
        else:
            teacher_probs = [
                F.softmax((scores - self.center) / self.teacher_temp, dim=-1)
                for scores in teacher_scores
            ]  # (B, out_channels) each, no gradient
        student_log_probs = [
            F.log_softmax(scores / self.student_temp, dim=-1)
            for scores in student_scores
        ]  # (B, out_channels) each
        cross_entropies = [
            -(teacher_p.detach() * student_logp).sum(dim=-1).mean()
            for t, teacher_p in enumerate(teacher_probs)
            for s, student_logp in enumerate(student_log_probs) if s != t
        ]
        self.update_center(torch.cat(list(teacher_scores)))
        return sum(cross_entropies) / len(cross_entropies)

    @torch.no_grad()
    def sinkhorn_knopp(self, teacher_scores: torch.Tensor) -> torch.Tensor:
        """Teacher probabilities that share the prototypes out equally.

        Alternately scales the prototypes' columns to ``1 / K`` of the
        global batch (summed over processes) and each view's row to ``1 /
        N``, starting from ``exp(scores / teacher_temp)``; the result is
        returned with rows summing to 1.

        Args:
            teacher_scores (torch.Tensor): (N, out_channels), this process's
                teacher scores of every global view.

        Returns:
            torch.Tensor: (N, out_channels) probabilities.
        """
        logits = teacher_scores.detach().float() / self.teacher_temp
        # a global shift changes nothing after normalising; it keeps exp
        # finite at small temperatures
        global_max = logits.max().reshape(1)
        all_reduce(global_max, op='max')
        probs = torch.exp(logits - global_max)
        num_prototypes = probs.shape[1]
        num_views = torch.tensor([float(len(probs))], device=probs.device)
        all_reduce(num_views)  # views of the global batch
        for _ in range(self.sinkhorn_iterations):
            prototype_mass = probs.sum(dim=0, keepdim=True)
            all_reduce(prototype_mass)
            probs = probs / (prototype_mass * num_prototypes)
            probs = probs / (probs.sum(dim=1, keepdim=True) * num_views)
        return probs * num_views

    @torch.no_grad()
    def update_center(self, teacher_scores: torch.Tensor) -> None:
        """EMA of the mean teacher score over the global batch.

        Args:
            teacher_scores (torch.Tensor): (N, out_channels), this process's
                teacher scores of every global view.
        """
        batch_sum = teacher_scores.detach().sum(dim=0, keepdim=True).float()
        all_reduce(batch_sum)  # sum over processes; no-op in one process
        batch_mean = batch_sum / (len(teacher_scores) * get_world_size())
        self.center.mul_(self.center_momentum).add_(
            batch_mean, alpha=1 - self.center_momentum)
