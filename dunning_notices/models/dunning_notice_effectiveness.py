from odoo import fields, models


class DunningNotice(models.Model):
    _inherit = "dunning.notice"

    # what came in after the notice, read from the analysis (Accounting > Reporting > Dunning Effectiveness)
    collected_cash_30d = fields.Monetary(
        string="Cash within 30 Days",
        compute="_compute_collected",
        currency_field="currency_id",
        help="Of the notice's overdue items, the amount paid (payments, bank statement lines) within 30 days "
        "after it was sent, when no later notice covered them.",
    )
    collected_cash_60d = fields.Monetary(
        string="Cash within 60 Days",
        compute="_compute_collected",
        currency_field="currency_id",
        help="Of the notice's overdue items, the amount paid (payments, bank statement lines) within 60 days "
        "after it was sent, when no later notice covered them.",
    )
    collected_other_30d = fields.Monetary(
        string="Settled Otherwise within 30 Days",
        compute="_compute_collected",
        currency_field="currency_id",
        help="Of the notice's overdue items, the amount settled without cash (credit notes, write-offs) "
        "within 30 days after it was sent.",
    )
    days_to_first_cash = fields.Integer(string="Days to First Cash", compute="_compute_collected")

    def _compute_collected(self):
        # one read of the analysis for all the notices; sudo: its rows of these notices only, which the
        # user reads already
        rows = (
            self.env["dunning.effectiveness.report"]
            .sudo()
            .search_fetch(
                [("notice_id", "in", self._origin.ids)],
                ["notice_id", "cash_30d", "cash_60d", "other_30d", "days_to_first_cash"],
            )
        )
        by_notice = {row.notice_id.id: row for row in rows}
        for notice in self:
            row = by_notice.get(notice._origin.id)
            notice.collected_cash_30d = row.cash_30d if row else 0.0
            notice.collected_cash_60d = row.cash_60d if row else 0.0
            notice.collected_other_30d = row.other_30d if row else 0.0
            notice.days_to_first_cash = row.days_to_first_cash if row else 0
