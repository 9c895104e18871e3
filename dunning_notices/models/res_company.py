from odoo import api, fields, models

from ..compat import Constraint

DATE_BASIS_SELECTION = [
    ("due_date", "Due Date"),
    ("invoice_date", "Invoice Date"),
]


class ResCompany(models.Model):
    _inherit = "res.company"

    dunning_date_basis = fields.Selection(
        DATE_BASIS_SELECTION,
        string="Dunning Aging Basis",
        default="due_date",
        required=True,
        help="Date from which the days overdue are counted. The due date gives the more accurate aging.",
    )
    dunning_attach_invoices = fields.Boolean(
        string="Attach Invoices to Dunning Notices",
        help="Default of the dunning wizard: attach a copy of each overdue invoice to the email.",
    )
    dunning_sender_user_id = fields.Many2one(
        "res.users",
        string="Default Dunning Sender",
        domain="[('share', '=', False)]",
        help="Default sender of the dunning notices; the current user when empty.",
    )

    dunning_min_interval_days = fields.Integer(
        string="Minimum Days Between Dunning Notices",
        help="A customer that received a dunning notice (of any level) fewer than this number of days before "
        "the as-of date is left out of a run; 0 means no minimum.",
    )

    _dunning_min_interval_days_positive = Constraint(
        "CHECK(dunning_min_interval_days >= 0)",
        "The minimum number of days between dunning notices cannot be negative.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        self.env["dunning.level"].sudo()._create_default_levels(companies)
        return companies
