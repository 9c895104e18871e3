from odoo import api, fields, models


class DunningNoticeLine(models.Model):
    """One overdue item of a notice, as it was when the notice was made: the notice stays a faithful
    record of what the customer was told even after payments change the invoice."""

    _name = "dunning.notice.line"
    _description = "Dunning Notice Item"
    _order = "notice_id, date_maturity, id"

    notice_id = fields.Many2one("dunning.notice", required=True, ondelete="cascade", index=True)
    line_type = fields.Selection(
        [("overdue", "Overdue"), ("credit", "Open Credit")], string="Type", required=True, default="overdue"
    )
    company_id = fields.Many2one(related="notice_id.company_id", store=True, index=True)
    # not stored: the escalation groups the items by the level and send date of their notices
    level_id = fields.Many2one(related="notice_id.level_id")
    date_sent = fields.Date(related="notice_id.date_sent")
    company_currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")
    move_line_id = fields.Many2one("account.move.line", string="Journal Item", index=True, ondelete="set null")
    move_id = fields.Many2one("account.move", string="Invoice", required=True, index=True, ondelete="restrict")
    invoice_date = fields.Date()
    date_maturity = fields.Date(string="Due Date")
    days_overdue = fields.Integer()
    currency_id = fields.Many2one("res.currency", required=True)
    amount_original = fields.Monetary(string="Original Amount", currency_field="currency_id")
    amount_residual = fields.Monetary(string="Amount Due", currency_field="currency_id")
    amount_residual_company = fields.Monetary(
        string="Amount Due (Company Currency)", currency_field="company_currency_id"
    )
    # which instalment of its invoice the item is (0 of 0: paid in one go), for the letter to tell
    # two items of one invoice apart
    instalment_number = fields.Integer()
    instalment_count = fields.Integer()

    @api.model
    def _prepare_vals_from_move_line(self, line, days_overdue):
        instalment_number, instalment_count = self._get_instalment(line)
        return {
            "move_line_id": line.id,
            "move_id": line.move_id.id,
            "invoice_date": line.invoice_date or line.date,  # a payment or a journal entry: its date
            "date_maturity": line.date_maturity,
            "days_overdue": days_overdue,
            "currency_id": line.currency_id.id,
            "amount_original": line.amount_currency,
            "amount_residual": line.amount_residual_currency,
            "amount_residual_company": line.amount_residual,
            "instalment_number": instalment_number,
            "instalment_count": instalment_count,
        }

    @api.model
    def _get_instalment(self, line):
        """(number, count) of the journal item ``line`` among its invoice's instalments, numbered as
        Odoo's invoice numbers them (its payment term lines by due date); (0, 0) for an invoice due in
        one go or an item that is no instalment (a payment, a credit)."""
        if line.display_type != "payment_term":
            return 0, 0
        terms = line.move_id.line_ids.filtered(lambda item: item.display_type == "payment_term")
        if len(terms) < 2:
            return 0, 0
        ordered = terms.sorted(key=lambda item: (item.date_maturity, item.date))
        return ordered.ids.index(line.id) + 1, len(terms)

    def _get_instalment_label(self):
        """The letter's "Instalment 1 of 2", in its language; empty for an item due in one go."""
        self.ensure_one()
        if self.instalment_count < 2:
            return ""
        return self.env._(
            "Instalment %(number)s of %(count)s", number=self.instalment_number, count=self.instalment_count
        )
