from odoo import api, fields, models
from odoo.exceptions import ValidationError

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

    # a week by default: a run moved a day later does not remind the customers of the day before again
    # (a new column fills existing companies too; an upgrade keeps what a company had)
    dunning_min_interval_days = fields.Integer(
        string="Minimum Days Between Dunning Notices",
        default=7,
        help="A customer that received a dunning notice (of any level) fewer than this number of days before "
        "the as-of date is left out of a run; 0 means no minimum.",
    )

    # a bound on the addresses typed per customer: each is looked up, or created as a contact, at Send
    dunning_max_extra_emails = fields.Integer(
        string="Additional Emails per Customer",
        default=10,
        help="The most additional email addresses a dunning run accepts for one customer.",
    )

    # the customer's page of a notice (its link in the email and the PDF) and the promises made there
    dunning_portal_link_days = fields.Integer(
        string="Notice Links Valid For (Days)",
        default=90,
        help="How long the link to a notice's page, in its email and letter, opens it; counted from the day "
        "the notice was sent.",
    )
    dunning_promise_max_days = fields.Integer(
        string="Payment Promises Up To (Days)",
        default=30,
        help="How far ahead a customer, or a collector, may promise to pay.",
    )

    _dunning_min_interval_days_positive = Constraint(
        "CHECK(dunning_min_interval_days >= 0)",
        "The minimum number of days between dunning notices cannot be negative.",
    )

    @api.constrains("dunning_portal_link_days", "dunning_promise_max_days")
    def _check_dunning_portal_days(self):
        if any(company.dunning_portal_link_days < 1 or company.dunning_promise_max_days < 1 for company in self):
            raise ValidationError(self.env._("Notice links and payment promises last one day at least."))

    @api.constrains("dunning_max_extra_emails")
    def _check_dunning_max_extra_emails(self):
        if any(company.dunning_max_extra_emails < 1 for company in self):
            raise ValidationError(self.env._("A dunning run accepts at least one additional email per customer."))

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        self.env["dunning.interest.scheme"].sudo()._create_default_schemes(companies)
        self.env["dunning.level"].sudo()._create_default_levels(companies)
        self.env["dunning.notice"]._create_notice_sequences(companies)
        return companies
