from . import res_company
from . import res_config_settings
from . import dunning_level
from . import dunning_level_selection
from . import dunning_level_auto
from . import dunning_notice
from . import dunning_notice_line
from . import res_partner
from . import account_move
from . import dunning_notice_pdf
from . import dunning_notice_mail
from . import dunning_notice_review
from . import dunning_run
from . import dunning_run_left_out
from . import ir_actions_report
from . import dunning_notice_delivery, mail_thread, res_partner_bounce
