from odoo import models

from .dunning_level import NOT_TO_DUN


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    def _is_still_overdue(self):
        """Whether this item, chosen by a run, is still open and dunned when its notice is sent."""
        self.ensure_one()
        blocked_states = NOT_TO_DUN[0][2]
        return (
            self.parent_state == "posted"
            and not self.reconciled
            and self.company_currency_id.compare_amounts(self.amount_residual, 0) > 0
            and self.move_id.payment_state not in blocked_states
        )

    def _is_still_open_credit(self):
        """Whether this credit, found by a run, is still open when its notice is sent."""
        self.ensure_one()
        return (
            self.parent_state == "posted"
            and not self.reconciled
            and self.company_currency_id.compare_amounts(self.amount_residual, 0) < 0
        )
