from . import pay, portal, report
