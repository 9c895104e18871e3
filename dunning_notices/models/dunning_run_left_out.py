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
    notice_id = fields.Many2one("dunning.notice", string="Earlier Notice", readonly=True)
    amount_overdue = fields.Monetary(string="Overdue", readonly=True, currency_field="currency_id")
    amount_net = fields.Monetary(string="Net Due", readonly=True, currency_field="currency_id")
