from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import format_date

from ..compat import partner_mobile
from ..models.dunning_level import CREDIT_HANDLING_SELECTION
from ..models.dunning_run import format_customer_filters
from ..models.res_company import DATE_BASIS_SELECTION

# what Apply Filters applies: changed, the customers listed are applied again
_FILTER_FIELDS = (
    "level_id",
    "as_of_date",
    "date_basis",
    "customer_ref_from",
    "customer_ref_to",
    "customer_type",
    "category_ids",
    "partner_ids",
)


class DunningNoticeSend(models.TransientModel):
    """Collects the accountant's choices, lists the customers to remind and hands the notices over to
    ``dunning.notice``; the selection rules live on ``dunning.level``."""

    _name = "dunning.notice.send"
    _description = "Send Dunning Notices"
    _check_company_auto = True

    def _default_sender_user_id(self):
        return self.env.company.dunning_sender_user_id or self.env.user

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    state = fields.Selection([("draft", "Draft"), ("sent", "Sent")], default="draft", required=True, readonly=True)

    # Sender
    sender_user_id = fields.Many2one(
        "res.users",
        string="Sender",
        required=True,
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
        default=lambda self: self._default_sender_user_id(),
    )
    # the sender's name and address are the sender user's: never typed (a notice never speaks for
    # someone else, see dunning.notice._check_sender)
    sender_name = fields.Char(compute="_compute_sender")
    sender_email = fields.Char(compute="_compute_sender")
    sender_phone = fields.Char(compute="_compute_sender_phone", store=True, readonly=False)

    # As-of date and aging
    date_mode = fields.Selection(
        [("today", "Today"), ("custom", "Select Date")], string="As-of Date Choice", default="today", required=True
    )
    as_of_date = fields.Date(
        string="As-of Date",
        required=True,
        compute="_compute_as_of_date",
        store=True,
        readonly=False,
        precompute=True,
        help="Days overdue are counted up to this date.",
    )
    as_of_date_warning = fields.Char(compute="_compute_as_of_date_warning")
    date_basis = fields.Selection(
        DATE_BASIS_SELECTION,
        string="Aging Basis",
        required=True,
        default=lambda self: self.env.company.dunning_date_basis,
        help="Days overdue are counted from this date. The due date gives the more accurate aging.",
    )
    level_id = fields.Many2one(
        "dunning.level",
        string="Dunning Level",
        check_company=True,
        domain="[('company_id', '=', company_id)]",
        help="Empty: all levels, each customer given the highest level its overdue items are eligible for.",
    )

    # Customer filters
    customer_ref_from = fields.Char(string="Customers from", help="Customer Reference, inclusive.")
    customer_ref_to = fields.Char(string="to", help="Customer Reference, inclusive.")
    customer_type = fields.Selection(
        [("all", "All"), ("company", "Companies"), ("person", "Individuals")], default="all", required=True
    )
    category_ids = fields.Many2many("res.partner.category", string="Customer Tags")
    partner_ids = fields.Many2many("res.partner", string="Customers", default=lambda self: self._default_partner_ids())

    # Templates
    report_id = fields.Many2one(
        "ir.actions.report",
        string="Printable Template",
        compute="_compute_templates",
        store=True,
        readonly=False,
        domain=[("model", "=", "dunning.notice"), ("report_type", "=", "qweb-pdf")],
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Email Template",
        compute="_compute_templates",
        store=True,
        readonly=False,
        domain=[("model", "=", "dunning.notice")],
    )
    attach_invoices = fields.Boolean(
        default=lambda self: self.env.company.dunning_attach_invoices,
        help="Attach a PDF of each overdue invoice to the emails (not to printed letters).",
    )

    line_ids = fields.One2many(
        "dunning.notice.send.line", "wizard_id", string="Customers to Remind", domain=[("excluded", "=", False)]
    )
    excluded_line_ids = fields.One2many(
        "dunning.notice.send.line", "wizard_id", string="Left Out", domain=[("excluded", "=", True)]
    )
    filters_applied = fields.Boolean()
    # the level's rule for credits when the filters were applied: the notices follow the lines
    applied_credit_handling = fields.Selection(CREDIT_HANDLING_SELECTION, readonly=True)
    notice_ids = fields.Many2many("dunning.notice", string="Notices", readonly=True)
    amount_overdue = fields.Monetary(compute="_compute_totals", currency_field="currency_id")
    amount_net = fields.Monetary(string="Net Due", compute="_compute_totals", currency_field="currency_id")
    line_count = fields.Integer(compute="_compute_totals")
    excluded_count = fields.Integer(compute="_compute_totals")
    # step 2's reminder of the filters applied
    run_summary = fields.Char(compute="_compute_run_summary")

    def _default_partner_ids(self):
        if self.env.context.get("active_model") == "res.partner" and self.env.context.get("active_ids"):
            return self.env["res.partner"].browse(self.env.context["active_ids"]).commercial_partner_id
        return self.env["res.partner"]

    # -------------------------------------------------------------------------
    # COMPUTE
    # -------------------------------------------------------------------------

    @api.depends("sender_user_id")
    def _compute_sender(self):
        for wizard in self:
            user = wizard.sender_user_id
            wizard.sender_name = user.name
            wizard.sender_email = user.email

    @api.depends("sender_user_id")
    def _compute_sender_phone(self):
        for wizard in self:
            user = wizard.sender_user_id
            wizard.sender_phone = user.phone or partner_mobile(user) or wizard.company_id.phone

    @api.depends("date_mode")
    def _compute_as_of_date(self):
        for wizard in self:
            if wizard.date_mode == "today" or not wizard.as_of_date:
                wizard.as_of_date = fields.Date.context_today(wizard)

    @api.depends("as_of_date")
    def _compute_as_of_date_warning(self):
        for wizard in self:
            today = fields.Date.context_today(wizard)
            wizard.as_of_date_warning = (
                wizard.as_of_date
                and wizard.as_of_date > today
                and self.env._(
                    "The as-of date %(date)s is in the future: invoices not yet due today are counted as overdue.",
                    date=format_date(self.env, wizard.as_of_date),
                )
            )

    @api.depends("level_id")
    def _compute_templates(self):
        for wizard in self:
            wizard.report_id = wizard.level_id.report_id
            wizard.mail_template_id = wizard.level_id.mail_template_id

    @api.depends("line_ids.amount_overdue", "line_ids.amount_net", "excluded_line_ids")
    def _compute_totals(self):
        # a stored wizard sums its thousands of lines in the database; one being edited (onchange) in memory
        stored = self.filtered(lambda wizard: isinstance(wizard.id, int))
        totals = {
            (wizard, excluded): (overdue, net, count)
            for wizard, excluded, overdue, net, count in self.env["dunning.notice.send.line"]._read_group(
                [("wizard_id", "in", stored.ids)],
                ["wizard_id", "excluded"],
                ["amount_overdue:sum", "amount_net:sum", "__count"],
            )
        }
        for wizard in self:
            if wizard in stored:
                wizard.amount_overdue, wizard.amount_net, wizard.line_count = totals.get((wizard, False), (0.0, 0.0, 0))
                wizard.excluded_count = totals.get((wizard, True), (0, 0, 0))[2]
            else:
                wizard.amount_overdue = sum(wizard.line_ids.mapped("amount_overdue"))
                wizard.amount_net = sum(wizard.line_ids.mapped("amount_net"))
                wizard.line_count = len(wizard.line_ids)
                wizard.excluded_count = len(wizard.excluded_line_ids)

    @api.depends(*_FILTER_FIELDS)
    def _compute_run_summary(self):
        bases = dict(self._fields["date_basis"]._description_selection(self.env))
        for wizard in self:
            wizard.run_summary = self.env._(
                "%(level)s, as of %(date)s, by %(basis)s: %(customers)s",
                level=wizard.level_id.name or self.env._("All levels"),
                date=format_date(self.env, wizard.as_of_date),
                basis=(bases.get(wizard.date_basis) or "").lower(),
                customers=format_customer_filters(wizard),
            )

    @api.constrains("as_of_date", "company_id")
    def _check_as_of_date(self):
        """An as-of date within the company's ledger: from its first journal item (or today, when it has
        none) to a year ahead."""
        for wizard in self:
            today = fields.Date.context_today(wizard)
            if wizard.as_of_date > today + relativedelta(years=1):
                raise ValidationError(
                    self.env._(
                        "The as-of date %(date)s is more than a year ahead.",
                        date=format_date(self.env, wizard.as_of_date),
                    )
                )
            first = (
                self.env["account.move.line"]
                .sudo()
                .search_fetch([("company_id", "=", wizard.company_id.id)], ["date"], order="date", limit=1)
            )
            start = min(first.date, today) if first else today
            if wizard.as_of_date < start:
                raise ValidationError(
                    self.env._(
                        "The as-of date %(date)s is before the first journal item of %(company)s (%(first)s).",
                        date=format_date(self.env, wizard.as_of_date),
                        company=wizard.company_id.name,
                        first=format_date(self.env, start),
                    )
                )

    @api.constrains("report_id", "mail_template_id")
    def _check_templates_model(self):
        self.env["dunning.level"]._check_templates_of(self)

    @api.onchange(*_FILTER_FIELDS)
    def _onchange_filters(self):
        # The listed customers no longer match the filters: the user applies them again.
        if self.filters_applied:
            self.line_ids = [Command.clear()]
            self.filters_applied = False

    # -------------------------------------------------------------------------
    # HELPERS
    # -------------------------------------------------------------------------

    # what a run did: written by the server only, so that a sent run cannot be sent again over RPC
    _SERVER_FIELDS = frozenset({"state", "notice_ids", "applied_credit_handling"})

    def write(self, vals):
        if not self.env.su and set(vals) & self._SERVER_FIELDS:
            raise AccessError(self.env._("The state of a dunning run is set by the run itself."))
        return super().write(vals)

    def _write_run(self, vals):
        self.sudo().write(vals)

    def _get_partner_domain(self):
        """Domain on the commercial partners from the customer filters; empty filters restrict nothing."""
        self.ensure_one()
        domain = []
        if self.customer_ref_from:
            domain.append(("ref", ">=", self.customer_ref_from))
        if self.customer_ref_to:
            domain.append(("ref", "<=", self.customer_ref_to))
        if self.customer_type != "all":
            domain.append(("is_company", "=", self.customer_type == "company"))
        if self.category_ids:
            domain.append(("category_id", "in", self.category_ids.ids))
        # as the server: every customer picked restricts the run, readable or not (_get_picked_partners
        # refuses the unreadable ones)
        if picked := self.sudo().with_context(active_test=False).partner_ids:
            domain.append(("id", "in", picked.commercial_partner_id.ids))
        return domain

    def _get_picked_partners(self):
        """The customers picked explicitly, archived ones included (they may still owe money). A picked
        customer that cannot be used is refused: the filter never silently widens to every customer."""
        self.ensure_one()
        # read as the server: the user's own read of the many2many silently drops the customers they
        # may not read, and the run would then widen to every customer
        picked = self.sudo().with_context(active_test=False).partner_ids.with_env(self.env)
        if picked._filtered_access("read") != picked:
            raise UserError(self.env._("Some of the chosen customers belong to a company you cannot access."))
        elsewhere = picked.commercial_partner_id.filtered(lambda p: p.company_id and p.company_id != self.company_id)
        if elsewhere:
            raise UserError(
                self.env._(
                    "%(customers)s belong to another company than %(company)s.",
                    customers=", ".join(elsewhere.mapped("display_name")),
                    company=self.company_id.name,
                )
            )
        return picked

    # -------------------------------------------------------------------------
    # ACTIONS
    # -------------------------------------------------------------------------

    def action_apply_filters(self):
        """List one line per customer with its overdue items; the wizard stays open."""
        self.ensure_one()
        if self.state == "sent":
            raise UserError(self.env._("These notices were already sent; open the wizard again for a new run."))
        picked = self._get_picked_partners()  # refuses unusable customers before anything reads them
        if self.level_id:
            listed, left_out = self.level_id._select_customers(
                self.as_of_date, self.date_basis, self._get_partner_domain(), picked=picked
            )
        else:
            listed, left_out = self.env["dunning.level"]._select_customers_all_levels(
                self.company_id, self.as_of_date, self.date_basis, self._get_partner_domain(), picked=picked
            )
        # one query for the names (the order of the list) and emails of all the customers found
        partners = (
            self.env["res.partner"]
            .with_context(active_test=False)
            .search_fetch([("id", "in", [p.id for p in (*listed, *left_out)])], ["name", "email"], order="name, id")
        )
        listed_partners = partners.filtered(lambda partner: partner in listed)
        recipients = listed_partners._get_dunning_recipients()
        bounced = listed_partners._get_dunning_bounced(recipients)  # {customer: note}: propose Print instead
        # by id: the loop runs over thousands of customers, and a record key costs a recordset comparison
        listed, left_out, recipients, bounced = (
            {partner.id: value for partner, value in found.items()} for found in (listed, left_out, recipients, bounced)
        )
        rows = []
        for partner_id in partners.ids:
            summary = listed.get(partner_id) or left_out[partner_id]
            emails = recipients.get(partner_id) or self.env["res.partner"]
            is_listed = partner_id in listed
            rows.append(
                {
                    "partner_id": partner_id,
                    "level_id": (summary.level or self.level_id).id or None,
                    "exclusion_info": summary.reason_detail or None,
                    "move_line_ids_data": summary.move_line_ids,
                    "credit_move_line_ids_data": summary.credit_move_line_ids,
                    "invoice_count": summary.invoice_count,
                    "invoice_names": summary.invoice_names,
                    "amount_overdue": summary.amount_overdue,
                    "amount_credit": summary.amount_credit,
                    "amount_net": summary.amount_net,
                    "amounts_by_currency_data": [[currency.id, amount] for currency, amount in summary.amounts_due],
                    "max_days_overdue": summary.max_days_overdue,
                    "excluded": not is_listed,
                    "exclusion_reason": summary.reason or None,
                    "exclusion_notice_id": summary.reason_notice_id or None,
                    "disputed_count": summary.blocked_count if is_listed else 0,
                    "disputed_amount": summary.blocked_amount if is_listed else 0.0,
                    "recipient_ids": emails.ids,
                    "to_email": is_listed and bool(emails) and partner_id not in bounced,
                    "to_print": is_listed and (not emails or partner_id in bounced),
                    "delivery_note": bounced.get(partner_id),
                }
            )
        self.env["dunning.notice.send.line"]._replace_lines(self, rows)
        self.filters_applied = True
        self._write_run({"applied_credit_handling": self.level_id.credit_handling or False})
        return self._reopen()

    def _check_not_sent(self):
        self.ensure_one()
        if self.state == "sent":
            raise UserError(self.env._("These notices were already sent; open the wizard again for a new run."))

    def action_back_to_filters(self):
        """Step 1 again: the customers found are listed anew when the filters are applied."""
        self._check_not_sent()
        self.filters_applied = False
        return self._reopen()

    def action_email_all(self):
        """Email every customer listed with an address; print for the others."""
        self._check_not_sent()
        with_address = self.line_ids.filtered(lambda line: line.recipient_ids or line._split_extra_emails())
        with_address.write({"to_email": True, "to_print": False})
        (self.line_ids - with_address).write({"to_email": False, "to_print": True})
        return self._reopen()

    def action_print_all(self):
        self._check_not_sent()
        self.line_ids.write({"to_print": True, "to_email": False})
        return self._reopen()

    def action_none(self):
        self._check_not_sent()
        self.line_ids.write({"to_print": False, "to_email": False})
        return self._reopen()

    def action_send(self):
        """Create the notices of the ticked lines in one batch, then deliver them (at once for a small
        run, through the queue otherwise). Sending twice returns the first result."""
        self.ensure_one()
        if self._lock_run():
            return self.notice_ids._get_result_action()
        notices = self._create_run("sent")
        notices._process_or_enqueue()
        return notices._get_result_action()

    def action_save_for_review(self):
        """Make the run and its notices as drafts: nothing numbered, rendered or sent until a reviewer
        sends the run from its form (or discards it)."""
        self.ensure_one()
        if not self._lock_run():
            self._create_run("draft")
        return self.notice_ids.run_id._get_records_action()

    def action_view_left_out(self):
        """The customers this run leaves out, in a list to filter and group by reason."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Left Out"),
            "res_model": "dunning.notice.send.line",
            "views": [(self.env.ref("dunning_notices.dunning_notice_send_line_view_list_left_out").id, "list")],
            "search_view_id": [self.env.ref("dunning_notices.dunning_notice_send_line_view_search").id],
            "domain": [("wizard_id", "=", self.id), ("excluded", "=", True)],
            "context": {"search_default_group_by_reason": 1, "create": False},
            "target": "new",
            "help": Markup('<p class="o_view_nocontent_smiling_face">%s</p><p>%s</p>')
            % (
                self.env._("Every customer found is reminded"),
                self.env._("Customers found but not reminded (on hold, below the minimum, ...) are listed here."),
            ),
        }

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "views": [(False, "form")],
            "target": "new",
            "name": self.env._("Send Dunning Notices"),
            "context": {"dialog_size": "extra-large"},
        }
