{
    "name": "Dunning Notices on Queue Jobs",
    "version": "1.0.0",
    "category": "Accounting/Accounting",
    "summary": "Process the queued dunning notices as OCA queue jobs, spread over several Odoo servers",
    "author": "Dunning Notices Contributors",
    "license": "LGPL-3",
    "depends": ["dunning_notices", "queue_job"],
    "data": [
        "data/queue_job_data.xml",
    ],
    "installable": True,
    "auto_install": True,
    "application": False,
}
