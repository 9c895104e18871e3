"""1.4.0: the notice report gets the letter's own paper format (margins that keep the letterhead off the text),
in the main company's page size, as a new install does."""

from odoo import api

from odoo.addons.dunning_notices.hooks import set_notice_paperformat


def migrate(cr, version):
    set_notice_paperformat(api.Environment(cr, api.SUPERUSER_ID, {}))
