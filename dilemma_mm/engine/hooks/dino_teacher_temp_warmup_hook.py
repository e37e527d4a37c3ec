"""DINO's teacher temperature: linear warm-up, then constant."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from dilemma_mm.registry import HOOKS


@HOOKS.register_module()
class DINOTeacherTempWarmupHook(Hook):
    """Set ``model.head.teacher_temp`` before every training epoch.

    The temperature goes linearly from ``warmup_teacher_temp`` at epoch 0 to
    ``teacher_temp`` at epoch ``warmup_epochs - 1`` and stays there, epoch
    by epoch, as DINO's ``teacher_temp_schedule``. The value is computed
    from ``runner.epoch``, so a resumed run picks it up where it was. It
    works with and without a distributed model wrapper.

    Args:
        warmup_teacher_temp (float): Temperature of the first epoch.
            Defaults to 0.04.
        teacher_temp (float): Temperature after the warm-up.
            Defaults to 0.04.
        warmup_epochs (int): Epochs of the linear warm-up; 0 uses
            ``teacher_temp`` from the start. Defaults to 0.
    """

    def __init__(self,
                 warmup_teacher_temp: float = 0.04,
                 teacher_temp: float = 0.04,
                 warmup_epochs: int = 0) -> None:
        if warmup_epochs < 0:
            raise ValueError(f'warmup_epochs must be >= 0, got '
                             f'{warmup_epochs}.')
        self.warmup_teacher_temp = warmup_teacher_temp
        self.teacher_temp = teacher_temp
        self.warmup_epochs = warmup_epochs

    def temperature(self, epoch: int) -> float:
        """The teacher temperature of epoch ``epoch`` (0-based)."""
        if epoch >= self.warmup_epochs:
            return self.teacher_temp
        if self.warmup_epochs == 1:
            return self.warmup_teacher_temp
        progress = epoch / (self.warmup_epochs - 1)
        return self.warmup_teacher_temp + progress * (
            self.teacher_temp - self.warmup_teacher_temp)

    def before_train_epoch(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        head = getattr(model, 'head', None)
        if not hasattr(head, 'teacher_temp'):
            raise AttributeError(
                f'{type(self).__name__} needs a model whose head has a '
                f'`teacher_temp` (DINOHead), got {type(head).__name__}.')
        head.teacher_temp = self.temperature(runner.epoch)
