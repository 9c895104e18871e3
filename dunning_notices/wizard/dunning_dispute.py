from odoo import fields, models


class DunningDispute(models.TransientModel):
    """The reason of a dispute on customer invoices, or of its resolution (see ``account.move``)."""

    _name = "dunning.dispute"
    _description = "Invoice Dispute"

    move_ids = fields.Many2many("account.move", string="Invoices", required=True, readonly=True)
    mode = fields.Selection(
        [("dispute", "Dispute"), ("resolve", "Resolve Dispute")], required=True, default="dispute", readonly=True
    )
    reason = fields.Char(required=True)

    def action_confirm(self):
        self.ensure_one()
        if self.mode == "dispute":
            self.move_ids._dunning_set_dispute(self.reason)
        else:
            self.move_ids._dunning_resolve_dispute(self.reason)
        return {"type": "ir.actions.act_window_close"}
