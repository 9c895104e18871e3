from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import email_normalize

from ..models.dunning_notice import format_amounts_by_currency


class DunningNoticeSendLine(models.TransientModel):
    _name = "dunning.notice.send.line"
    _description = "Customer to Remind"
    _order = "id"

    wizard_id = fields.Many2one("dunning.notice.send", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="wizard_id.company_id")
    currency_id = fields.Many2one(related="wizard_id.currency_id")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True)
    # A list of ids rather than a many2many: a run writes one row per customer, not one per invoice.
    move_line_ids_data = fields.Json(string="Overdue Item IDs", readonly=True)
    move_line_ids = fields.Many2many("account.move.line", string="Overdue Items", compute="_compute_move_line_ids")
    invoice_count = fields.Integer(string="Invoices", compute="_compute_amounts")
    invoice_names = fields.Char(string="Overdue Invoices", compute="_compute_amounts")
    amount_overdue = fields.Monetary(string="Overdue", compute="_compute_amounts", currency_field="currency_id")
    amount_summary = fields.Char(string="Due per Currency", compute="_compute_amounts")
    max_days_overdue = fields.Integer(string="Oldest (days)", compute="_compute_amounts")
    recipient_ids = fields.Many2many("res.partner", string="Recipients")
    extra_emails = fields.Char(string="Additional Emails", help="Comma-separated email addresses.")
    to_print = fields.Boolean(string="Print")
    to_email = fields.Boolean(string="Email")

    @api.depends("move_line_ids_data")
    def _compute_move_line_ids(self):
        for line in self:
            line.move_line_ids = self.env["account.move.line"].browse(line.move_line_ids_data or [])

    @api.depends("move_line_ids")
    def _compute_amounts(self):
        for line in self:
            items = line.move_line_ids
            wizard = line.wizard_id
            line.invoice_count = len(items.move_id)
            line.invoice_names = ", ".join(items.move_id.mapped("name"))
            line.amount_overdue = sum(items.mapped("amount_residual"))
            line.amount_summary = format_amounts_by_currency(
                self.env,
                [
                    (currency, sum(lines.mapped("amount_residual_currency")))
                    for currency, lines in items.grouped("currency_id").items()
                ],
            )
            line.max_days_overdue = max(
                (
                    self.env["dunning.level"]._get_days_overdue(item, wizard.as_of_date, wizard.date_basis)
                    for item in items
                ),
                default=0,
            )

    @api.constrains("extra_emails")
    def _check_extra_emails(self):
        for line in self:
            invalid = [email for email in line._split_extra_emails() if not email_normalize(email)]
            if invalid:
                raise ValidationError(
                    self.env._(
                        "%(customer)s: invalid email address %(emails)s.",
                        customer=line.partner_id.display_name,
                        emails=", ".join(invalid),
                    )
                )

    def _split_extra_emails(self):
        self.ensure_one()
        raw = [part.strip() for part in (self.extra_emails or "").replace(";", ",").split(",")]
        return [part for part in raw if part]

    def _check_email_recipients(self):
        missing = self.filtered(
            lambda line: line.to_email and not line.recipient_ids and not line._split_extra_emails()
        )
        if missing:
            raise UserError(
                self.env._(
                    "Email is ticked for customers without any email address: %(customers)s. "
                    "Add an address or untick Email.",
                    customers=", ".join(missing.partner_id.mapped("display_name")),
                )
            )

    def _prepare_notice_vals(self):
        """One ``dunning.notice`` per line, with the overdue items chosen (snapshotted when processed)."""
        extra_emails = {email for line in self.filtered("to_email") for email in line._split_extra_emails()}
        extra_partners = {}
        if extra_emails:
            # Odoo's way of emailing an address: the partner it belongs to, created when unknown.
            found = self.env["res.partner"]._find_or_create_from_emails(sorted(extra_emails))
            extra_partners = dict(zip(sorted(extra_emails), found, strict=True))
        vals_list = []
        for line in self:
            wizard = line.wizard_id
            recipients = line.recipient_ids
            for email in line._split_extra_emails():
                recipients |= extra_partners.get(email, self.env["res.partner"])
            vals_list.append(
                {
                    "company_id": wizard.company_id.id,
                    "partner_id": line.partner_id.id,
                    "level_id": wizard.level_id.id,
                    "sender_user_id": wizard.sender_user_id.id,
                    "sender_name": wizard.sender_name,
                    "sender_email": wizard.sender_email,
                    "sender_phone": wizard.sender_phone,
                    "as_of_date": wizard.as_of_date,
                    "date_basis": wizard.date_basis,
                    "report_id": wizard.report_id.id,
                    "mail_template_id": wizard.mail_template_id.id,
                    "attach_invoices": wizard.attach_invoices,
                    "to_print": line.to_print,
                    "to_email": line.to_email,
                    "recipient_ids": [Command.set(recipients.ids if line.to_email else [])],
                    "move_line_ids_data": line.move_line_ids_data,
                }
            )
        return vals_list
