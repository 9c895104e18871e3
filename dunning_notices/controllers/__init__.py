from . import pay, report
