from .bad_image_hook import BadImageHook  # noqa: F401
from .dino_teacher_temp_warmup_hook import \
    DINOTeacherTempWarmupHook  # noqa: F401
from .knn_monitor_hook import KNNMonitorHook  # noqa: F401
from .time_budget_hook import TimeBudgetHook  # noqa: F401
