"""queue_job 18.0.4.1.2.2's test helpers (``queue_job.tests.common``) register their patcher in
``odoo.tests.common.SETATTR_SOURCES``, a dict that recent builds of Odoo 18.0 have (to tell known
patchers from stray ``setattr`` in tests) and older 18.0 builds lack. Give an older build an empty one,
before those helpers are imported, so that they import there too; a recent build is left as it is."""

from odoo.tests import common

if not hasattr(common, "SETATTR_SOURCES"):
    common.SETATTR_SOURCES = {}
