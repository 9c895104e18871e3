# What step 2's list shows: a column only when some listed customer fills it, so that empty columns
# leave their room to the customers' names at 1440 px (a file per concern, as the run's).
# pylint: disable=consider-merging-classes-inherited
from odoo import api, fields, models

from ..models.dunning_common import delivered_domain


class DunningNoticeSend(models.TransientModel):
    _inherit = "dunning.notice.send"

    has_disputed = fields.Boolean(compute="_compute_column_flags")
    has_last_notice = fields.Boolean(compute="_compute_column_flags")

    @api.depends("line_ids.disputed_count", "line_ids.partner_id")
    def _compute_column_flags(self):
        lines = self.env["dunning.notice.send.line"]
        for wizard in self:
            if isinstance(wizard.id, int):
                # a stored wizard asks the database: the list reads one page of its thousands of lines
                domain = [("wizard_id", "=", wizard.id), ("excluded", "=", False)]
                wizard.has_disputed = bool(lines.search_count([*domain, ("disputed_count", ">", 0)], limit=1))
                partners = lines.search_fetch(domain, ["partner_id"]).partner_id
            else:
                wizard.has_disputed = any(wizard.line_ids.mapped("disputed_count"))
                partners = wizard.line_ids.partner_id
            # the lines' Last Notice: a notice delivered to the customer in the company, any level
            wizard.has_last_notice = bool(partners) and bool(
                self.env["dunning.notice"].search_count(
                    [
                        ("partner_id", "in", partners.ids),
                        ("company_id", "=", wizard.company_id.id),
                        *delivered_domain(),
                    ],
                    limit=1,
                )
            )
