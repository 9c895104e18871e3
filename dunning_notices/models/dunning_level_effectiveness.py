from dateutil.relativedelta import relativedelta

from odoo import fields, models


class DunningLevel(models.Model):
    _inherit = "dunning.level"

    collection_rate_30d = fields.Float(
        string="Collection Rate (30 Days)",
        compute="_compute_collection_rate_30d",
        help="Over the notices of this level sent in the last 12 months: the cash received within 30 days "
        "after each notice divided by the amount the notices dunned (Accounting > Reporting > Dunning "
        "Effectiveness).",
    )

    def _compute_collection_rate_30d(self):
        # one grouped read of the analysis for all the levels; sudo: a level is read with its company's
        # notices, whose rows the user may read anyway (same company rule)
        since = fields.Date.context_today(self) - relativedelta(months=12)
        rates = dict(
            self.env["dunning.effectiveness.report"]
            .sudo()
            ._read_group(
                [("level_id", "in", self.ids), ("date_sent", ">=", since)],
                ["level_id"],
                ["rate_30d:sum"],
            )
        )
        for level in self:
            level.collection_rate_30d = rates.get(level._origin) or 0.0
