from . import controllers
from . import models
from . import report
from . import wizard


def _post_init_hook(env):
    # The default levels are data of the main company: give every other existing company its own copy.
    env["dunning.level"]._create_default_levels(env["res.company"].search([]))
