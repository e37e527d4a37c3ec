from .hooks import *  # noqa: F401,F403
from .optimizers import *  # noqa: F401,F403
from .runners import *  # noqa: F401,F403
from .schedule import check_schedule, fit_schedule  # noqa: F401
