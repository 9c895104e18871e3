# What a level charges on top of the amounts due: late-payment interest (an interest scheme), a fixed
# fee per notice and the fixed compensation for recovery costs per late invoice (EU Directive 2011/7
# art. 6, French D441-5: EUR 40).
# pylint: disable=consider-merging-classes-inherited
from odoo import fields, models


class DunningLevel(models.Model):
    _inherit = "dunning.level"

    interest_scheme_id = fields.Many2one(
        "dunning.interest.scheme",
        string="Late Payment Interest",
        check_company=True,
        help="Interest computed on each overdue item from the day after its due date to the as-of date, shown on "
        "the notice; a later notice charges only the days not charged yet.",
    )
    fee_fixed = fields.Monetary(string="Fee per Notice", currency_field="currency_id")
    fee_compensation = fields.Boolean(
        string="Recovery Compensation (EUR 40 per Late Invoice)",
        help="The fixed compensation for recovery costs due by law between businesses in the EU for each invoice "
        "paid late, charged once per invoice whatever the number of notices (converted at the as-of date for "
        "invoices in another currency).",
    )
    charge_companies_only = fields.Boolean(
        string="Charge Businesses Only",
        default=True,
        help="The legal interest and compensation apply between businesses: customers that are individuals are "
        "not charged.",
    )

    charge_posting = fields.Selection(
        [("none", "Shown on the notice only"), ("invoice", "Invoiced with the notice")],
        string="Charges",
        required=True,
        default="none",
        help="Invoiced: when the notice is sent, one customer invoice of its interest and fees is posted (services "
        "without taxes), in the same transaction; it is dunned like any invoice but never earns interest or fees.",
    )

    def _charges_customer(self, partner):
        """Whether this level charges interest and fees to ``partner``."""
        self.ensure_one()
        return (self.interest_scheme_id or self.fee_fixed or self.fee_compensation) and (
            not self.charge_companies_only or partner.commercial_partner_id.is_company
        )
