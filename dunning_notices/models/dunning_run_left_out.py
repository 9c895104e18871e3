from odoo import fields, models

from .dunning_level import EXCLUSION_REASONS


class DunningRunLeftOut(models.Model):
    """A customer a run found but did not remind, with the reason and its detail as the run saw them
    (the wizard's lines are transient: the run keeps this record of them)."""

    _name = "dunning.run.left.out"
    _description = "Customer Left Out of a Dunning Run"
    _order = "run_id, reason, id"

    run_id = fields.Many2one("dunning.run", required=True, readonly=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="run_id.company_id", store=True)
    currency_id = fields.Many2one(related="run_id.currency_id")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True, index=True)
    level_id = fields.Many2one("dunning.level", readonly=True)
    reason = fields.Selection(EXCLUSION_REASONS, required=True, readonly=True)
    detail = fields.Char(readonly=True)
    # the earlier notice behind min_interval or duplicate; the run's own notice when left out in review
    notice_id = fields.Many2one("dunning.notice", readonly=True)
    run_state = fields.Selection(related="run_id.state")
    amount_overdue = fields.Monetary(string="Overdue", readonly=True, currency_field="currency_id")
    amount_net = fields.Monetary(string="Net Due", readonly=True, currency_field="currency_id")

    def action_review_include(self):
        """Keep for sending the notice of a customer left out in review (the run's Left Out tab)."""
        self.filtered(lambda r: r.reason == "review").notice_id.action_review_include()
        return True
