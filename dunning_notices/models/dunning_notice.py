import logging

import psycopg2

from odoo import api, fields, models, tools
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, email_normalize

from .dunning_level import CREDIT_HANDLING_SELECTION
from .res_company import DATE_BASIS_SELECTION

_logger = logging.getLogger(__name__)

QUEUE_BATCH_SIZE = 50
# A notice whose processing was stopped this many times (worker killed, time limit) is left in error.
MAX_PROCESS_ATTEMPTS = 3
# Seconds a notice claimed by a worker is left to it before another may take it over (see _claim_batch).
CLAIM_GRACE_SECONDS = 60


def format_amounts_by_currency(env, amounts_by_currency):
    """'1,200.00 € + $ 300.00' from [(currency, amount)]."""
    return " + ".join(tools.format_amount(env, amount, currency) for currency, amount in amounts_by_currency)


class DunningNotice(models.Model):
    _name = "dunning.notice"
    _description = "Dunning Notice"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    _check_company_auto = True
    # users read notices and may discuss them; only the server writes them
    _mail_post_access = "read"

    name = fields.Char(string="Number", required=True, readonly=True, copy=False, default="/", index="trigram")
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True, index=True, check_company=True
    )
    level_id = fields.Many2one(
        "dunning.level", string="Dunning Level", required=True, readonly=True, index=True, check_company=True
    )
    sender_user_id = fields.Many2one("res.users", string="Sender", readonly=True)
    sender_name = fields.Char(readonly=True)
    sender_email = fields.Char(readonly=True)
    sender_phone = fields.Char(readonly=True)
    sender_email_formatted = fields.Char(compute="_compute_sender_email_formatted")
    as_of_date = fields.Date(string="As of", required=True, readonly=True, default=fields.Date.context_today)
    date_basis = fields.Selection(DATE_BASIS_SELECTION, string="Aging Basis", required=True, readonly=True)
    report_id = fields.Many2one("ir.actions.report", string="Printable Template", required=True, readonly=True)
    mail_template_id = fields.Many2one("mail.template", string="Email Template", readonly=True)
    attach_invoices = fields.Boolean(readonly=True)
    to_print = fields.Boolean(string="Print", readonly=True)
    to_email = fields.Boolean(string="Email", readonly=True)
    recipient_ids = fields.Many2many("res.partner", string="Recipients", readonly=True)
    # The journal items chosen in the wizard, snapshotted into line_ids when the notice is processed.
    # A list of ids rather than a many2many: a run writes one row per customer, not one per invoice.
    move_line_ids_data = fields.Json(string="Journal Item IDs", readonly=True, copy=False)
    move_line_ids = fields.Many2many("account.move.line", string="Journal Items", compute="_compute_move_line_ids")
    # the customer's open credits (credit notes, unmatched payments) found with them
    credit_move_line_ids_data = fields.Json(string="Open Credit IDs", readonly=True, copy=False)
    credit_move_line_ids = fields.Many2many(
        "account.move.line", string="Open Credits", compute="_compute_move_line_ids"
    )
    credit_handling = fields.Selection(CREDIT_HANDLING_SELECTION, readonly=True, default="net")
    line_ids = fields.One2many("dunning.notice.line", "notice_id", string="Items", readonly=True)
    # readonly=False: given at creation (the wizard has them), they spare loading the journal items
    invoice_count = fields.Integer(compute="_compute_amounts", store=True, readonly=False)
    amount_overdue = fields.Monetary(
        string="Total Overdue", compute="_compute_amounts", store=True, readonly=False, currency_field="currency_id"
    )
    max_days_overdue = fields.Integer(string="Days Overdue", compute="_compute_amounts", store=True, readonly=False)
    amount_credit = fields.Monetary(
        string="Open Credits Amount",
        compute="_compute_amounts",
        store=True,
        readonly=False,
        currency_field="currency_id",
    )
    amount_net = fields.Monetary(
        string="Net Due", compute="_compute_amounts", store=True, readonly=False, currency_field="currency_id"
    )
    amount_summary = fields.Char(string="Due per Currency", compute="_compute_amount_summary")
    active = fields.Boolean(default=True, readonly=True)
    state = fields.Selection(
        [
            ("draft", "To Review"),
            ("queued", "Queued"),
            ("done", "Processed"),
            ("error", "Error"),
            ("cancel", "Cancelled"),
        ],
        string="Processing",
        required=True,
        readonly=True,
        default="queued",
        index=True,
        copy=False,
    )
    error_message = fields.Text(readonly=True, copy=False)
    run_id = fields.Many2one("dunning.run", readonly=True, index="btree_not_null", copy=False)
    # a draft notice the reviewer of its run left out: cancelled when the run is sent
    review_excluded = fields.Boolean(string="Left Out in Review", readonly=True, copy=False)
    # the day the notice was processed (emailed or printed): minimum intervals count from it
    date_sent = fields.Date(string="Sent On", readonly=True, copy=False)
    cancel_reason = fields.Char(readonly=True, copy=False)
    # claims by queue workers that never finished: counted outside their transaction (see _claim_batch)
    process_attempt_count = fields.Integer(readonly=True, copy=False)
    process_claim_date = fields.Datetime(readonly=True, copy=False)
    pdf_attachment_id = fields.Many2one("ir.attachment", string="Notice PDF", readonly=True, copy=False)
    invoice_attachment_ids = fields.Many2many(
        "ir.attachment", "dunning_notice_invoice_attachment_rel", string="Invoice PDFs", readonly=True, copy=False
    )
    message_id = fields.Many2one(
        "mail.message", string="Notice Message", readonly=True, copy=False, index="btree_not_null"
    )
    notification_ids = fields.One2many(related="message_id.notification_ids", string="Email Deliveries")
    delivery_state = fields.Selection(
        [
            ("draft", "To Review"),
            ("queued", "Queued"),
            ("outgoing", "Email Outgoing"),
            ("sent", "Email Sent"),
            ("failed", "Email Failed"),
            ("bounced", "Email Bounced"),
            ("printed", "Printed"),
            ("error", "Error"),
            ("cancel", "Cancelled"),
        ],
        compute="_compute_delivery_state",
        store=True,
        index=True,
    )

    # -------------------------------------------------------------------------
    # COMPUTE
    # -------------------------------------------------------------------------

    @api.depends("sender_user_id", "company_id")
    def _compute_sender_email_formatted(self):
        # what the templates put in From: see _get_sender_email_from
        for notice in self:
            notice.sender_email_formatted = notice._get_sender_email_from()

    @api.depends("move_line_ids_data", "credit_move_line_ids_data")
    def _compute_move_line_ids(self):
        # one existence check for all: an invoice reset to draft since the wizard lost its journal items
        all_ids = {
            item_id
            for notice in self
            for item_id in (notice.move_line_ids_data or []) + (notice.credit_move_line_ids_data or [])
        }
        existing = set(self.env["account.move.line"].browse(all_ids).exists().ids)
        for notice in self:
            notice.move_line_ids = [item_id for item_id in notice.move_line_ids_data or [] if item_id in existing]
            notice.credit_move_line_ids = [
                item_id for item_id in notice.credit_move_line_ids_data or [] if item_id in existing
            ]

    @api.depends(
        "line_ids.amount_residual_company",
        "line_ids.days_overdue",
        "move_line_ids_data",
        "credit_move_line_ids_data",
        "credit_handling",
    )
    def _compute_amounts(self):
        # the snapshot once taken; until then (queued notices) the chosen journal items
        for notice in self:
            if notice.line_ids:
                overdue_lines = notice.line_ids.filtered(lambda line: line.line_type == "overdue")
                moves = overdue_lines.move_id
                days = overdue_lines.mapped("days_overdue")
            else:
                moves = notice.move_line_ids.move_id
                days = [notice._get_days_overdue(item) for item in notice.move_line_ids]
            totals = notice._get_net_amounts()
            notice.invoice_count = len(moves)
            notice.max_days_overdue = max(days, default=0)
            notice.amount_overdue = totals["amount_overdue"]
            notice.amount_credit = totals["amount_credit"]
            notice.amount_net = totals["amount_net"]

    @api.depends("line_ids.amount_residual", "line_ids.currency_id")
    def _compute_amount_summary(self):
        for notice in self:
            notice.amount_summary = format_amounts_by_currency(self.env, notice._get_amounts_by_currency())

    @api.depends("state", "to_email", "message_id.notification_ids.notification_status")
    def _compute_delivery_state(self):
        for notice in self:
            if notice.state != "done":
                notice.delivery_state = notice.state
            elif not notice.to_email:
                notice.delivery_state = "printed"
            else:
                statuses = set(
                    notice.message_id.notification_ids.filtered(lambda n: n.notification_type == "email").mapped(
                        "notification_status"
                    )
                )
                if "exception" in statuses:
                    notice.delivery_state = "failed"
                elif "bounce" in statuses:
                    notice.delivery_state = "bounced"
                elif statuses and statuses <= {"sent"}:
                    notice.delivery_state = "sent"
                else:
                    notice.delivery_state = "outgoing"

    # -------------------------------------------------------------------------
    # CONSTRAINTS: what the queue reads, valid whoever wrote it (the queue runs as superuser)
    # -------------------------------------------------------------------------

    @api.constrains("move_line_ids_data", "credit_move_line_ids_data", "partner_id", "company_id")
    def _check_move_line_ids_data(self):
        """The chosen items and credits are posted receivable journal items of the notice's customer and
        company."""
        for notice in self:
            for data in (notice.move_line_ids_data or [], notice.credit_move_line_ids_data or []):
                if not isinstance(data, list) or not all(isinstance(item_id, int) for item_id in data):
                    raise ValidationError(
                        self.env._(
                            "Dunning notice %(name)s: its journal items must be a list of ids.", name=notice.name
                        )
                    )
        all_ids = {
            item_id
            for notice in self
            for item_id in (notice.move_line_ids_data or []) + (notice.credit_move_line_ids_data or [])
        }
        items = self.env["account.move.line"].sudo().browse(all_ids)
        found = {
            item.id: (item.company_id.id, item.partner_id.commercial_partner_id.id)
            for item in items.exists().filtered(
                lambda i: i.parent_state == "posted" and i.account_type == "asset_receivable"
            )
        }
        for notice in self:
            expected = (notice.company_id.id, notice.partner_id.commercial_partner_id.id)
            chosen = (notice.move_line_ids_data or []) + (notice.credit_move_line_ids_data or [])
            if any(found.get(item_id) != expected for item_id in chosen):
                raise ValidationError(
                    self.env._(
                        "Dunning notice %(name)s may only list posted receivable items of %(customer)s in %(company)s.",
                        name=notice.name,
                        customer=notice.partner_id.display_name,
                        company=notice.company_id.name,
                    )
                )

    @api.constrains("sender_user_id", "sender_email", "company_id")
    def _check_sender(self):
        """The sender is an internal user of the notice's company, and the address the letter gives is
        theirs or the company's: a notice never speaks for someone else."""
        for notice in self:
            user = notice.sender_user_id
            if user and (user.share or notice.company_id not in user.company_ids):
                raise ValidationError(
                    self.env._(
                        "%(user)s cannot send the dunning notices of %(company)s.",
                        user=user.name,
                        company=notice.company_id.name,
                    )
                )
            allowed = {email_normalize(user.email), email_normalize(notice.company_id.email)} - {False}
            if notice.sender_email and email_normalize(notice.sender_email) not in allowed:
                raise ValidationError(
                    self.env._(
                        "A dunning notice is sent from its sender's address or the company's, not from %(email)s.",
                        email=notice.sender_email,
                    )
                )

    @api.constrains("report_id", "mail_template_id")
    def _check_templates_model(self):
        self.env["dunning.level"]._check_templates_of(self)

    @api.constrains("pdf_attachment_id", "invoice_attachment_ids")
    def _check_attachments(self):
        """The notice's PDF is its own; the invoice PDFs are its own or its invoices'."""
        for notice in self:
            pdf = notice.sudo().pdf_attachment_id
            if pdf and (pdf.res_model, pdf.res_id) != (self._name, notice.id):
                raise ValidationError(
                    self.env._("The PDF of dunning notice %(name)s must be its own.", name=notice.name)
                )
            invoices = set(notice.sudo().line_ids.move_id.ids) | set(notice.sudo().move_line_ids.move_id.ids)
            for attachment in notice.sudo().invoice_attachment_ids:
                if (attachment.res_model, attachment.res_id) != (self._name, notice.id) and not (
                    attachment.res_model == "account.move" and attachment.res_id in invoices
                ):
                    raise ValidationError(
                        self.env._("Dunning notice %(name)s may only attach its own invoices.", name=notice.name)
                    )

    def init(self):
        """At most one live notice (neither cancelled nor failed) per customer, level and as-of date,
        however runs interleave: two runs sending at once meet here (see the wizard's ``action_send``).
        A database holding such duplicates already keeps working without the guarantee, with a warning."""
        res = super().init()
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    SQL(
                        """
                        CREATE UNIQUE INDEX IF NOT EXISTS dunning_notice_partner_level_asof_uniq
                            ON dunning_notice (partner_id, level_id, as_of_date)
                         WHERE state NOT IN ('cancel', 'error')
                        """
                    )
                )
        except psycopg2.errors.UniqueViolation:
            _logger.warning(
                "Dunning notices: some customers have two live notices of one level for one as-of date; "
                "cancel the extra ones and update the module to guarantee there are no duplicates."
            )
        return res

    # -------------------------------------------------------------------------
    # CRUD
    # -------------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        # a draft (saved for review) is numbered when its run is sent: a discarded run uses no number
        self._set_next_names(
            [vals for vals in vals_list if vals.get("name", "/") == "/" and vals.get("state") != "draft"]
        )
        return super().create(vals_list)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_processed(self):
        # users have no unlink right; this holds for the server too: archive or cancel instead
        if processed := self.filtered(lambda notice: notice.state in ("done", "error")):
            raise UserError(
                self.env._(
                    "A processed dunning notice is part of the customer's history and cannot be deleted: %(notices)s.",
                    notices=", ".join(processed.mapped("name")),
                )
            )

    # -------------------------------------------------------------------------
    # ACTIONS
    # -------------------------------------------------------------------------

    def action_print(self):
        """Download the notices' PDFs; processed notices reuse the PDF stored when they were sent."""
        if not self:
            raise UserError(self.env._("There is no dunning notice to print."))
        if unprocessed := self.filtered(lambda n: n.state != "done"):
            raise UserError(
                self.env._(
                    "Only processed notices can be printed: %(notices)s.",
                    notices=", ".join(unprocessed.mapped("name")),
                )
            )
        reports = self.report_id
        if len(reports) > 1:
            raise UserError(
                self.env._(
                    "Print notices made with different printable templates separately: %(templates)s.",
                    templates=", ".join(reports.mapped("name")),
                )
            )
        action = reports.report_action(self, config=False)
        action["close_on_report_download"] = True
        return action

    def action_retry(self):
        """Queue failed notices again; they keep their number and snapshot."""
        self._check_can_act()
        failed = self.filtered(lambda n: n.state == "error")
        if not failed:
            raise UserError(
                self.env._(
                    "Only notices in error can be processed again, not %(notices)s.",
                    notices=", ".join(self.mapped("name")),
                )
            )
        failed._check_no_live_duplicate()
        # read the items again: a failed notice was never sent, its snapshot and PDF are made anew
        failed.sudo().line_ids.unlink()
        failed._write_state(
            {
                "state": "queued",
                "error_message": False,
                "process_attempt_count": 0,
                "process_claim_date": False,
                "pdf_attachment_id": False,
            }
        )
        failed._process_or_enqueue()
        return True

    def _check_no_live_duplicate(self):
        """A failed notice is processed again only if no other notice of its customer, level and as-of
        date was made since (the unique index would refuse it with a traceback)."""
        live = (
            self.sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("id", "not in", self.ids),
                    ("partner_id", "in", self.partner_id.ids),
                    ("level_id", "in", self.level_id.ids),
                    ("as_of_date", "in", list(set(self.mapped("as_of_date")))),
                    ("state", "not in", ("cancel", "error")),
                ]
            )
        )
        by_key = {(notice.partner_id, notice.level_id, notice.as_of_date): notice for notice in live}
        clashes = [
            (notice, by_key[key])
            for notice in self
            if (key := (notice.partner_id, notice.level_id, notice.as_of_date)) in by_key
        ]
        if clashes:
            raise UserError(
                self.env._(
                    "These notices cannot be processed again, a later notice of the same customer, level and "
                    "as-of date was made since: %(notices)s. Cancel them instead.",
                    notices=", ".join(f"{notice.name} ({other.name})" for notice, other in clashes),
                )
            )

    def action_cancel(self):
        """Stop notices that were not sent (queued or in error): they will never be."""
        self._check_can_act()
        if sent := self.filtered(lambda notice: notice.state not in ("queued", "error")):
            raise UserError(
                self.env._(
                    "Only notices waiting to be processed or in error can be cancelled, not %(notices)s.",
                    notices=", ".join(sent.mapped("name")),
                )
            )
        self._write_state({"state": "cancel"})
        for notice in self:
            notice.message_post(body=self.env._("Notice cancelled by %(user)s.", user=self.env.user.name))
        return True

    def action_archive(self):
        # OVERRIDE: a processed notice is never deleted; an accounting manager may hide it, with a trace
        self._check_can_act("account.group_account_manager")
        if pending := self.filtered(lambda notice: notice.state not in ("done", "cancel")):
            raise UserError(
                self.env._(
                    "Only processed or cancelled notices can be archived; cancel these first: %(notices)s.",
                    notices=", ".join(pending.mapped("name")),
                )
            )
        self._write_state({"active": False})
        for notice in self:
            notice.message_post(body=self.env._("Notice archived by %(user)s.", user=self.env.user.name))
        return True

    def action_unarchive(self):
        # OVERRIDE: see action_archive
        self._check_can_act("account.group_account_manager")
        self._write_state({"active": True})
        for notice in self:
            notice.message_post(body=self.env._("Notice restored by %(user)s.", user=self.env.user.name))
        return True

    def action_open_customer(self):
        self.ensure_one()
        return self.partner_id._get_records_action()

    # -------------------------------------------------------------------------
    # BUSINESS: state machine (users have no write right on notices: these methods write them)
    # -------------------------------------------------------------------------

    def _write_state(self, vals):
        """The one way notices change once created. ``sudo``: users may only read notices; every caller
        checks the user's rights first (``_check_can_act``) or is the queue."""
        self.sudo().write(vals)

    def _set_error(self, error):
        self.ensure_one()
        _logger.warning("Dunning notice %s failed", self.name, exc_info=error)
        if isinstance(error, UserError | ValidationError):
            message = error.args[0]
        else:
            message = self.env._("%(error)s (%(type)s)", error=str(error) or repr(error), type=type(error).__name__)
        self._write_state({"state": "error", "error_message": message})

    def _check_can_act(self, group="account.group_account_invoice"):
        """Actions on notices are the accountants': the caller belongs to ``group`` and may read the
        notices (their company is one of the caller's)."""
        if not self.env.su and not self.env.user.has_group(group):
            raise AccessError(self.env._("You are not allowed to act on dunning notices."))
        self.check_access("read")
