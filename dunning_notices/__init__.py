from . import compat
from . import controllers
from . import models
from . import report
from . import wizard


def _post_init_hook(env):
    # The customers' Action menu entry is for billing users: set here, as its field is named per series.
    compat.add_groups(
        env.ref("dunning_notices.res_partner_action_dunning_notice_send"), env.ref("account.group_account_invoice")
    )
    # The default levels, interest presets and the notice sequence are data of the main company: give every
    # other existing company its own copy.
    companies = env["res.company"].search([])
    env["dunning.interest.scheme"]._create_default_schemes(companies)
    env["dunning.level"]._create_default_levels(companies)
    env["dunning.notice"]._create_notice_sequences(companies)
