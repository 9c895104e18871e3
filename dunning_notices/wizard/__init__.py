from . import dunning_notice_send
from . import dunning_notice_send_line
