from . import queue_job_compat  # first: before queue_job's test helpers are imported
from . import test_dunning_notice_queue_job
from . import test_i18n
