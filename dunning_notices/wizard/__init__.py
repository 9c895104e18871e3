from . import dunning_notice_send
from . import dunning_notice_send_run
from . import dunning_notice_send_columns
from . import dunning_notice_send_line
from . import dunning_notice_send_item
from . import dunning_dispute
from . import dunning_notice_send_promise
