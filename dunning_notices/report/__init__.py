from . import dunning_effectiveness_report
from . import dunning_notice_email_preview
