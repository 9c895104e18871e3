from dateutil.relativedelta import relativedelta

from odoo import fields, models


class DunningLevel(models.Model):
    _inherit = "dunning.level"

    collection_rate_30d = fields.Float(
        string="Collection Rate (30 Days)",
        compute="_compute_collection_rate_30d",
        help="Over the notices of this level sent in the 12 months before the last 30 days (whose 30 days "
        "are over): the cash received within 30 days after each notice divided by the amount the notices "
        "dunned (Accounting > Reporting > Dunning Effectiveness).",
    )

    def _compute_collection_rate_30d(self):
        # one grouped read of the analysis for all the levels; sudo: a level is read with its company's
        # notices, whose rows the user may read anyway (same company rule)
        # the notices of the last 30 days are left out: they have not had their 30 days yet
        until = fields.Date.context_today(self) - relativedelta(days=30)
        since = until - relativedelta(months=12)
        rates = dict(
            self.env["dunning.effectiveness.report"]
            .sudo()
            ._read_group(
                [("level_id", "in", self.ids), ("date_sent", ">=", since), ("date_sent", "<=", until)],
                ["level_id"],
                ["rate_30d:sum"],
            )
        )
        for level in self:
            level.collection_rate_30d = rates.get(level._origin) or 0.0
