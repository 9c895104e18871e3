from . import res_company
from . import res_config_settings
from . import dunning_level
from . import dunning_notice
from . import dunning_notice_line
from . import res_partner
from . import account_move
from . import mail_template
