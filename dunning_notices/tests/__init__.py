from . import test_install
from . import test_dunning_level
from . import test_dunning_notice_send
from . import test_dunning_notice
from . import test_dunning_notice_queue
from . import test_res_partner
from . import test_ui
from . import test_i18n
