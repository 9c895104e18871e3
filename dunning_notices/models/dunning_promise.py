# A customer's promise to pay overdue items by a date: made on the notice's page (the customer) or in the
# backend (the collector). While it is open its items are not dunned; the day after its date a daily cron
# finds it kept or broken, and a broken promise resumes dunning and tells the collector.
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models, tools
from odoo.exceptions import AccessError, UserError, ValidationError

PROMISE_STATES = [
    ("open", "Open"),
    ("kept", "Kept"),
    ("broken", "Broken"),
    ("cancelled", "Cancelled"),
]
# what only Odoo writes on a promise: a collector may not mark one kept, nor pass it off as the customer's
SERVER_FIELDS = frozenset({"state", "source", "notice_id", "amount_due"})
# what the promise says: changed while it is open only
PROMISE_TERMS = frozenset({"partner_id", "company_id", "move_line_ids", "date_promised", "amount"})
PROMISE_SOURCES = [
    ("customer", "Customer"),
    ("collector", "Collector"),
]


class DunningPromise(models.Model):
    _name = "dunning.promise"
    _description = "Payment Promise"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_promised desc, id desc"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, tracking=True, domain="[('parent_id', '=', False)]"
    )
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")
    move_line_ids = fields.Many2many(
        "account.move.line",
        "dunning_promise_move_line_rel",
        "promise_id",
        "move_line_id",
        string="Items",
        required=True,
        check_company=True,
        domain="[('partner_id', 'child_of', partner_id), ('account_type', '=', 'asset_receivable'),"
        " ('parent_state', '=', 'posted'), ('reconciled', '=', False), ('amount_residual', '>', 0)]",
        help="The overdue items the customer promises to pay: they are left out of dunning runs while the promise "
        "is open.",
    )
    date_promised = fields.Date(string="Promised Date", required=True, tracking=True)
    amount = fields.Monetary(
        string="Promised Amount",
        currency_field="currency_id",
        tracking=True,
        help="Optional. With an amount, the promise is kept when that much of its items was paid by the date; "
        "without, when every item was.",
    )
    amount_due = fields.Monetary(
        string="Due When Promised",
        currency_field="currency_id",
        readonly=True,
        help="What the items were due when the promise was made, in the company's currency.",
    )
    amount_residual = fields.Monetary(
        string="Still Due", currency_field="currency_id", compute="_compute_amount_residual"
    )
    source = fields.Selection(PROMISE_SOURCES, required=True, default="collector", readonly=True)
    state = fields.Selection(PROMISE_STATES, required=True, default="open", readonly=True, tracking=True, index=True)
    notice_id = fields.Many2one("dunning.notice", string="From Notice", readonly=True, index="btree_not_null")
    user_id = fields.Many2one(
        "res.users",
        string="Collector",
        default=lambda self: self.env.user,
        domain="[('share', '=', False)]",
        help="Who is told when the promise is broken.",
    )
    note = fields.Text()

    @api.depends("partner_id", "date_promised")
    def _compute_display_name(self):
        for promise in self:
            promise.display_name = self.env._(
                "%(customer)s: promise of %(date)s",
                customer=promise.partner_id.display_name or "",
                date=tools.format_date(self.env, promise.date_promised),
            )

    @api.depends("move_line_ids.amount_residual")
    def _compute_amount_residual(self):
        for promise in self:
            promise.amount_residual = sum(promise.sudo().move_line_ids.mapped("amount_residual"))

    @api.constrains("date_promised")
    def _check_date_promised(self):
        today = fields.Date.context_today(self)
        for promise in self.filtered(lambda p: p.state == "open"):
            latest = today + timedelta(days=promise.company_id.dunning_promise_max_days)
            if not today <= promise.date_promised <= latest:
                raise ValidationError(
                    self.env._(
                        "The promised date must be between today and %(latest)s (%(days)s days ahead at most).",
                        latest=tools.format_date(self.env, latest),
                        days=promise.company_id.dunning_promise_max_days,
                    )
                )

    @api.constrains("amount")
    def _check_amount(self):
        if any(promise.currency_id.compare_amounts(promise.amount, 0) < 0 for promise in self):
            raise ValidationError(self.env._("A promised amount cannot be negative."))

    @api.constrains("move_line_ids", "partner_id", "state")
    def _check_move_lines(self):
        for promise in self:
            lines = promise.sudo().move_line_ids
            customer = promise.partner_id.commercial_partner_id
            wrong = lines.filtered(
                lambda line, customer=customer: (
                    line.partner_id.commercial_partner_id != customer
                    or line.account_type != "asset_receivable"
                    or line.parent_state != "posted"
                )
            )
            if wrong:
                raise ValidationError(
                    self.env._(
                        "A promise covers posted receivable items of its customer only: %(items)s.",
                        items=", ".join(wrong.move_id.mapped("display_name")),
                    )
                )
            if promise.state == "open" and (
                taken := lines.dunning_promise_ids.filtered(lambda other: other.state == "open") - promise
            ):
                raise ValidationError(
                    self.env._(
                        "These items are already promised (%(promises)s): %(items)s.",
                        promises=", ".join(taken.mapped("display_name")),
                        items=", ".join((lines & taken.move_line_ids).move_id.mapped("display_name")),
                    )
                )

    @api.onchange("partner_id")
    def _onchange_partner_id(self):
        """A new promise covers the customer's overdue items not promised yet."""
        if self.partner_id and not self.move_line_ids:
            self.move_line_ids = self._get_promisable_lines(self.partner_id, self.company_id)

    @api.model
    def _get_promisable_lines(self, partner, company):
        return self.env["account.move.line"].search(
            [
                ("company_id", "=", company.id),
                ("partner_id", "child_of", partner.commercial_partner_id.id),
                ("account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
                ("amount_residual", ">", 0),
                ("date_maturity", "<", fields.Date.context_today(self)),
                ("dunning_promise_ids", "not any", [("state", "=", "open")]),
            ]
        )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            if any(set(vals) & SERVER_FIELDS for vals in vals_list):
                raise AccessError(self.env._("A payment promise's status and origin are written by Odoo only."))
            # nor through the defaults of the context: created again without them
            forced = {f"default_{name}" for name in SERVER_FIELDS} & set(self.env.context)
            if forced:
                context = {key: value for key, value in self.env.context.items() if key not in forced}
                return self.with_env(self.env(context=context)).create(vals_list)
        for vals in vals_list:
            if vals.get("partner_id"):
                vals["partner_id"] = self.env["res.partner"].browse(vals["partner_id"]).commercial_partner_id.id
        promises = super().create(vals_list)
        for promise in promises:
            # sudo: what the items were due is the server's record, whoever made the promise
            promise.sudo().amount_due = sum(promise.sudo().move_line_ids.mapped("amount_residual"))
            amount, date = promise._format_amount(), tools.format_date(self.env, promise.date_promised)
            customer = promise.source == "customer"
            author = promise.partner_id if customer else None
            # the customer's chatter, which every company sharing the customer reads: no amount
            if customer:
                text = self.env._("The customer promised to pay by %(date)s.", date=date)
            else:
                text = self.env._("Promise to pay by %(date)s, taken by %(user)s.", date=date, user=self.env.user.name)
            promise._log_on_customer(text, author=author)
            promise.sudo().message_post(
                body=self.env._("Promise to pay %(amount)s by %(date)s.", amount=amount, date=date),
                author_id=author.id if author else None,
                message_type="notification",
                subtype_xmlid="mail.mt_note",
            )
        return promises

    def write(self, vals):
        # a collector edits the date, amount and note of an open promise; kept, broken and cancelled are the
        # cron's and the Cancel button's (through _set_state)
        if not self.env.su and set(vals) & SERVER_FIELDS:
            raise AccessError(self.env._("A payment promise's status and origin are written by Odoo only."))
        if not self.env.su and set(vals) & PROMISE_TERMS and self.filtered(lambda p: p.state != "open"):
            raise UserError(self.env._("Only an open promise can be changed."))
        return super().write(vals)

    def _set_state(self, state):
        """The one way a promise's status changes. sudo: checked by the callers (the cron, Cancel)."""
        self.sudo().write({"state": state})

    def _format_amount(self):
        self.ensure_one()
        amount = self.amount or self.amount_due
        return tools.format_amount(self.env, amount, self.currency_id)

    def _log_on_customer(self, text, author=None):
        """A log line on the customer's chatter, linking to the promise. sudo: a billing user (or the
        customer on its page) may not write on the customer."""
        self.ensure_one()
        body = Markup("<p>%s <a href='#' data-oe-model='%s' data-oe-id='%s'>%s</a></p>") % (
            text,
            self._name,
            self.id,
            self.env._("Open the promise"),
        )
        self.partner_id.sudo().message_post(
            body=body,
            author_id=author.id if author else None,
            message_type="notification",
            subtype_xmlid="mail.mt_note",
        )

    # -------------------------------------------------------------------------
    # ACTIONS
    # -------------------------------------------------------------------------

    def action_cancel(self):
        """The collector withdraws an open promise: its items are dunned again."""
        self.check_access("write")
        for promise in self.filtered(lambda p: p.state == "open"):
            promise._set_state("cancelled")
            promise._log_on_customer(
                self.env._(
                    "Promise to pay by %(date)s cancelled.", date=tools.format_date(self.env, promise.date_promised)
                )
            )
        return True

    # -------------------------------------------------------------------------
    # KEPT OR BROKEN
    # -------------------------------------------------------------------------

    @api.model
    def _cron_check_promises(self):
        """Daily: the open promises whose items are all paid are kept; those whose date has passed are
        kept or broken."""
        today = fields.Date.context_today(self)
        promises = self.search([("state", "=", "open")])
        promises.filtered(lambda p: p.date_promised < today or p._is_settled())._settle()

    def _is_settled(self):
        """Whether the promise is kept: its amount paid (what its items were due less what they are due
        now), or without an amount, every item paid."""
        self.ensure_one()
        currency = self.currency_id
        residual = sum(self.move_line_ids.mapped("amount_residual"))
        if currency.is_zero(residual):  # everything paid, whatever amount was promised
            return True
        return bool(self.amount) and currency.compare_amounts(self.amount_due - residual, self.amount) >= 0

    def _settle(self):
        for promise in self:
            if promise._is_settled():
                promise._set_state("kept")
                promise._log_on_customer(
                    self.env._(
                        "Promise to pay by %(date)s kept.", date=tools.format_date(self.env, promise.date_promised)
                    )
                )
                continue
            promise._set_state("broken")
            promise._log_on_customer(
                self.env._(
                    "Promise to pay by %(date)s broken: its items are dunned again.",
                    date=tools.format_date(self.env, promise.date_promised),
                )
            )
            collector = promise.user_id or promise.notice_id.sender_user_id or promise.company_id.dunning_sender_user_id
            if collector and not collector.share and collector.active:
                localized = promise.with_context(lang=collector.lang)  # the activity in the collector's words
                localized.activity_schedule(
                    "mail.mail_activity_data_todo",
                    user_id=collector.id,
                    summary=localized.env._("Broken promise to pay"),
                    note=localized.env._(
                        "%(customer)s promised %(amount)s by %(date)s; %(due)s is still due.",
                        customer=promise.partner_id.display_name,
                        amount=localized._format_amount(),
                        date=tools.format_date(localized.env, promise.date_promised),
                        due=tools.format_amount(localized.env, promise.amount_residual, promise.currency_id),
                    ),
                )


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    # the promises covering the item: an item of an open promise is not dunned (dunning_level's OPEN_TO_DUN)
    dunning_promise_ids = fields.Many2many(
        "dunning.promise",
        "dunning_promise_move_line_rel",
        "move_line_id",
        "promise_id",
        string="Payment Promises",
        readonly=True,
        copy=False,
        groups="account.group_account_invoice,account.group_account_readonly",
    )
