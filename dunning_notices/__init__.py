from . import compat
from . import hooks
from . import controllers
from . import models
from . import report
from . import wizard


def _post_init_hook(env):
    hooks.post_init(env)
