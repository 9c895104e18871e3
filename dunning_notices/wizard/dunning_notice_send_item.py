from odoo import api, fields, models
from odoo.exceptions import AccessError


class DunningNoticeSendItem(models.TransientModel):
    """An overdue item or open credit of a customer to remind, shown when the accountant opens the
    customer's line: overdue items may be unticked for this run only. Made when the line is opened,
    not by Apply Filters, which lists thousands of customers without their items."""

    _name = "dunning.notice.send.item"
    _description = "Item of a Customer to Remind"
    _order = "is_credit, date_maturity, id"

    line_id = fields.Many2one("dunning.notice.send.line", required=True, ondelete="cascade", index=True)
    move_line_id = fields.Many2one("account.move.line", string="Journal Item", required=True, readonly=True)
    is_credit = fields.Boolean(string="Credit", readonly=True)
    selected = fields.Boolean(string="Remind", default=True)
    move_id = fields.Many2one(related="move_line_id.move_id", string="Document")
    date = fields.Date(related="move_line_id.date")
    date_maturity = fields.Date(related="move_line_id.date_maturity", string="Due Date")
    days_overdue = fields.Integer(readonly=True)
    currency_id = fields.Many2one(related="move_line_id.currency_id")
    company_currency_id = fields.Many2one(related="move_line_id.company_currency_id")
    amount_residual_currency = fields.Monetary(
        related="move_line_id.amount_residual_currency", string="Open Amount", currency_field="currency_id"
    )
    amount_residual = fields.Monetary(
        related="move_line_id.amount_residual", string="Open (company currency)", currency_field="company_currency_id"
    )

    def write(self, vals):
        if not self.env.su and set(vals) - {"selected"}:
            raise AccessError(self.env._("Only whether an item is reminded can be changed."))
        return super().write(vals)

    @api.model
    def _create_for_lines(self, lines):
        """The items of ``lines`` that have none yet: their overdue items, ticked, and open credits."""
        vals_list = []
        for line in lines.filtered(lambda line: not line.item_ids):
            level = line.level_id or line.wizard_id.level_id
            wizard = line.wizard_id
            items = self.env["account.move.line"].browse(line.move_line_ids_data or [])
            vals_list += [
                {
                    "line_id": line.id,
                    "move_line_id": item.id,
                    "days_overdue": level._get_days_overdue(item, wizard.as_of_date, wizard.date_basis),
                }
                for item in items
            ]
            vals_list += [
                {"line_id": line.id, "move_line_id": item_id, "is_credit": True}
                for item_id in line.credit_move_line_ids_data or []
            ]
        # sudo: the items are what Apply Filters found, written by the server like the lines
        return self.sudo().create(vals_list).with_env(self.env)
