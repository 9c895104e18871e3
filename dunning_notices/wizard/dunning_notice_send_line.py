import json

from odoo import Command, api, fields, models, tools
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, email_normalize
from odoo.tools.mail import single_email_re

from ..models.dunning_common import amounts_by_currency, delivered_domain
from ..models.dunning_level import EXCLUSION_REASONS
from ..models.dunning_notice import format_amounts_by_currency


def is_valid_email(email):
    """Odoo's normalisation of ``email`` has a local part and a domain ("<script>@x.com" normalises to
    "@x.com", which mail would send to)."""
    normalized = email_normalize(email)
    return bool(normalized and single_email_re.match(normalized))


# The stored columns of a line that ``_replace_lines`` inserts from the selection's rows (besides the
# wizard, the sequence and the log columns): with LINE_USER_COLUMNS, every stored field of the model, which
# a test checks.
LINE_COLUMNS = (
    *("partner_id", "level_id", "exclusion_info", "move_line_ids_data", "credit_move_line_ids_data"),
    *("invoice_count", "invoice_names", "amount_overdue", "amount_credit", "amount_net", "amounts_by_currency_data"),
    *("max_days_overdue", "excluded", "exclusion_reason", "exclusion_notice_id", "disputed_count"),
    *("disputed_amount", "to_print", "to_email", "delivery_note"),
)
# What the user fills in on a line after Apply Filters: empty in a new line.
LINE_USER_COLUMNS = ("extra_emails",)


class DunningNoticeSendLine(models.TransientModel):
    _name = "dunning.notice.send.line"
    _description = "Customer to Remind"
    _order = "sequence, id"

    wizard_id = fields.Many2one("dunning.notice.send", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer(readonly=True)
    company_id = fields.Many2one(related="wizard_id.company_id")
    currency_id = fields.Many2one(related="wizard_id.currency_id")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True)
    # the level of the customer's notice: the wizard's, or the one a run of all levels found for it
    level_id = fields.Many2one("dunning.level", readonly=True)
    # What Apply Filters found, written with the line: the list of thousands of customers opens
    # without loading their journal items. A list of ids rather than a many2many: one row per customer.
    move_line_ids_data = fields.Json(string="Overdue Item IDs", readonly=True)
    move_line_ids = fields.Many2many("account.move.line", string="Overdue Items", compute="_compute_move_line_ids")
    credit_move_line_ids_data = fields.Json(string="Open Credit IDs", readonly=True)
    invoice_count = fields.Integer(string="Invoices", readonly=True)
    invoice_names = fields.Char(string="Overdue Invoices", readonly=True)
    amount_overdue = fields.Monetary(string="Overdue", readonly=True, currency_field="currency_id")
    amount_credit = fields.Monetary(string="Credits", readonly=True, currency_field="currency_id")
    amount_net = fields.Monetary(string="Net Due", readonly=True, currency_field="currency_id")
    # a customer found but left out of the run, and why: never sent, cannot be ticked
    excluded = fields.Boolean(string="Left Out", readonly=True)
    exclusion_reason = fields.Selection(EXCLUSION_REASONS, string="Reason", readonly=True)
    exclusion_detail = fields.Text(string="Detail", compute="_compute_exclusion_detail")
    # what the selection found behind the reason (escalation_wait: the level of each item)
    exclusion_info = fields.Char(readonly=True)
    # the notice behind the reason: the last one for min_interval, the one already made for duplicate
    exclusion_notice_id = fields.Many2one("dunning.notice", string="Earlier Notice", readonly=True)
    # the customer's disputed items left out of the run (company currency)
    disputed_count = fields.Integer(string="Disputed Items", readonly=True)
    disputed_amount = fields.Monetary(readonly=True, currency_field="currency_id")
    disputed_note = fields.Char(string="Disputed", compute="_compute_disputed_note")
    # [[currency id, amount]]: formatted for the rows shown only, formatting thousands costs a second
    amounts_by_currency_data = fields.Json(string="Amounts per Currency", readonly=True)
    amount_summary = fields.Char(string="Due per Currency", compute="_compute_amount_summary")
    max_days_overdue = fields.Integer(string="Oldest (days)", readonly=True)
    recipient_ids = fields.Many2many("res.partner", string="Recipients")
    extra_emails = fields.Char(string="Additional Emails", help="Comma-separated email addresses.")
    to_print = fields.Boolean(string="Print")
    to_email = fields.Boolean(string="Email")
    # why Apply Filters proposed Print rather than Email (an address that bounced or is blacklisted)
    delivery_note = fields.Char(readonly=True)
    # the items, made when the accountant opens the line (see dunning.notice.send.item)
    item_ids = fields.One2many("dunning.notice.send.item", "line_id", string="Items")
    overdue_item_ids = fields.One2many(
        "dunning.notice.send.item", "line_id", string="Items to Choose", domain=[("is_credit", "=", False)]
    )
    credit_item_ids = fields.One2many(
        "dunning.notice.send.item", "line_id", string="Open Credits", domain=[("is_credit", "=", True)]
    )
    # what the ticked items come to, shown while the accountant ticks them
    selected_amount_overdue = fields.Monetary(
        string="Selected Overdue", compute="_compute_selected_amounts", currency_field="currency_id"
    )
    selected_amount_net = fields.Monetary(
        string="Selected Net Due", compute="_compute_selected_amounts", currency_field="currency_id"
    )
    last_notice_id = fields.Many2one("dunning.notice", string="Last Notice Sent", compute="_compute_last_notice")
    last_notice_info = fields.Char(string="Last Notice", compute="_compute_last_notice")

    # what the accountant chooses per customer (items: their tick only, see dunning.notice.send.item);
    # the rest is what Apply Filters found
    _USER_FIELDS = frozenset({"recipient_ids", "extra_emails", "to_print", "to_email", "overdue_item_ids"})

    @api.depends("move_line_ids_data")
    def _compute_move_line_ids(self):
        for line in self:
            line.move_line_ids = self.env["account.move.line"].browse(line.move_line_ids_data or [])

    @api.depends("amounts_by_currency_data")
    def _compute_amount_summary(self):
        currencies = self.env["res.currency"]
        for line in self:
            line.amount_summary = format_amounts_by_currency(
                self.env,
                [
                    (currencies.browse(currency_id), amount)
                    for currency_id, amount in line.amounts_by_currency_data or []
                ],
            )

    @api.depends("disputed_count", "disputed_amount")
    def _compute_disputed_note(self):
        for line in self:
            line.disputed_note = (
                self.env._(
                    "%(count)s disputed items left out: %(amount)s",
                    count=line.disputed_count,
                    amount=tools.format_amount(self.env, line.disputed_amount, line.currency_id),
                )
                if line.disputed_count
                else False
            )

    @api.depends("overdue_item_ids.selected")
    def _compute_selected_amounts(self):
        for line in self:
            amounts = line._get_amounts_from_items() if line.item_ids else {}
            line.selected_amount_overdue = amounts.get("amount_overdue", line.amount_overdue)
            line.selected_amount_net = amounts.get("amount_net", line.amount_net)

    @api.depends("partner_id", "company_id")
    def _compute_last_notice(self):
        """The last notice delivered to each customer, any level: one search for the lines shown."""
        last = {}
        partners = self.partner_id
        if partners:
            for notice in self.env["dunning.notice"].search_fetch(
                [("partner_id", "in", partners.ids), ("company_id", "in", self.company_id.ids), *delivered_domain()],
                ["partner_id", "company_id", "name", "level_id", "date_sent"],
                order="date_sent desc, id desc",
            ):
                last.setdefault((notice.partner_id, notice.company_id), notice)
        for line in self:
            notice = last.get((line.partner_id, line.company_id), self.env["dunning.notice"])
            line.last_notice_id = notice
            line.last_notice_info = (
                self.env._(  # the date and level first: the column is narrow, the whole text is its tooltip
                    "%(date)s, %(level)s, %(notice)s",
                    notice=notice.name,
                    level=notice.level_id.name,
                    date=tools.format_date(self.env, notice.date_sent),
                )
                if notice
                else False
            )

    def write(self, vals):
        if not self.env.su and set(vals) - self._USER_FIELDS:
            raise AccessError(
                self.env._(
                    "Only Print, Email and the recipients of a customer to remind can be changed; "
                    "apply the filters again to list other items."
                )
            )
        return super().write(vals)

    def _compute_exclusion_detail(self):
        for line in self:
            line.exclusion_detail = line.excluded and line._get_exclusion_detail()

    def _get_exclusion_detail(self):
        """The amounts and dates behind the reason a customer is left out, in the user's words."""
        self.ensure_one()
        level = self.level_id or self.wizard_id.level_id

        def money(amount):
            return tools.format_amount(self.env, amount, self.currency_id)

        reason = self.exclusion_reason
        if reason == "credits_cover":
            return self.env._(
                "Overdue %(overdue)s, open credits %(credits)s: nothing left to pay.",
                overdue=money(self.amount_overdue),
                credits=money(self.amount_credit),
            )
        if reason == "below_min_amount":
            return self.env._(
                "Owes %(amount)s, below the minimum of %(min)s.",
                amount=money(self.amount_net),
                min=money(level.min_amount_overdue),
            )
        if reason == "above_max_amount":
            return self.env._(
                "Owes %(amount)s, above the maximum of %(max)s.",
                amount=money(self.amount_net),
                max=money(level.max_amount_overdue),
            )
        if reason == "all_blocked":
            return self.env._(
                "%(count)s overdue item(s) of %(amount)s in payment or with payment blocked.",
                count=self.invoice_count,
                amount=money(self.amount_overdue),
            )
        if reason == "archived":
            return self.env._(
                "Archived customer owing %(amount)s (%(days)s days overdue): pick it explicitly to remind it.",
                amount=money(self.amount_overdue),
                days=self.max_days_overdue,
            )
        if reason == "on_hold":
            # the hold the selection read: that of the level's company
            company = self.level_id.company_id or self.company_id
            partner = self.partner_id.commercial_partner_id.sudo().with_company(company)
            until = partner.dunning_hold_until
            return self.env._(
                "On dunning hold %(until)s: %(reason)s",
                until=self.env._("until %(date)s", date=tools.format_date(self.env, until))
                if until
                else self.env._("until lifted"),
                reason=partner.dunning_hold_reason or self.env._("no reason given"),
            )
        if reason in ("min_interval", "duplicate"):
            notice = self.exclusion_notice_id.sudo()
            date = tools.format_date(self.env, notice.as_of_date)
            if reason == "duplicate" and notice.state == "draft":  # no number before its run is sent
                return self.env._(
                    "Run %(run)s holds this level's notice as of %(date)s.", run=notice.run_id.name, date=date
                )
            if reason == "duplicate":
                return self.env._(
                    "Notice %(notice)s of this level as of %(date)s already exists.", notice=notice.name, date=date
                )
            return self.env._(
                "Last notice %(notice)s sent on %(date)s, %(days)s days before the as-of date (minimum %(min)s).",
                notice=notice.name,
                date=tools.format_date(self.env, notice.date_sent),
                days=(self.wizard_id.as_of_date - notice.date_sent).days if notice.date_sent else 0,
                min=self.wizard_id.company_id.dunning_min_interval_days,
            )
        if reason == "escalation_wait":
            return self.env._("No item may move on to this level yet: %(items)s", items=self.exclusion_info or "-")
        if reason == "no_overdue":
            return self.env._(
                "No item overdue in the level's days range as of %(date)s.", date=self.wizard_id.as_of_date
            )
        return False

    @api.constrains("excluded", "to_print", "to_email")
    def _check_excluded_not_sent(self):
        for line in self:
            if line.excluded and (line.to_print or line.to_email):
                raise ValidationError(
                    self.env._(
                        "%(customer)s is left out of this run (%(reason)s): it cannot be printed or emailed.",
                        customer=line.partner_id.display_name,
                        reason=dict(self._fields["exclusion_reason"]._description_selection(self.env)).get(
                            line.exclusion_reason
                        ),
                    )
                )

    @api.model
    def _replace_lines(self, wizard, rows):
        """Replace the lines of ``wizard`` by ``rows`` (dicts of the stored fields, ``recipient_ids`` a
        list of ids), inserted with their recipients in one query. The ORM would insert a few thousand
        lines 100 rows per query and make Apply Filters grow with the number of customers; these rows
        are plain values of a transient model, with no computed field or constraint to run."""
        # a transient record: only its creator may fill it (users have no create right on lines)
        wizard.check_access("write")
        self.env.flush_all()
        # the previous Apply's lines; their recipients go with them (ON DELETE CASCADE)
        self.env.cr.execute(SQL("DELETE FROM dunning_notice_send_line WHERE wizard_id = %s", wizard.id))
        user_id = self.env.uid
        recipients_field = self._fields["recipient_ids"]
        payload = [{**row, "sequence": sequence} for sequence, row in enumerate(rows)]
        recipients = [
            {"partner_id": row["partner_id"], "recipient_id": recipient_id}
            for row in rows
            for recipient_id in row["recipient_ids"]
        ]
        # the record's columns typed as the model stores them (a test holds the list to the model's fields)
        columns = [SQL.identifier(name) for name in LINE_COLUMNS]
        typed = [SQL(f"%s {self._fields[name].column_type[0]}", SQL.identifier(name)) for name in LINE_COLUMNS]
        self.env.cr.execute(
            SQL(
                """
                WITH new_line AS (
                    INSERT INTO dunning_notice_send_line (
                        wizard_id, sequence, %(columns)s, create_uid, create_date, write_uid, write_date)
                    SELECT %(wizard)s, r.sequence, %(values)s, %(uid)s, %(now)s, %(uid)s, %(now)s
                      FROM jsonb_to_recordset(%(rows)s::jsonb) AS r(sequence int4, %(typed)s)
                    RETURNING id, partner_id
                )
                INSERT INTO %(relation)s (%(column1)s, %(column2)s)
                SELECT new_line.id, r.recipient_id
                  FROM new_line
                  JOIN jsonb_to_recordset(%(recipients)s::jsonb) AS r(partner_id int, recipient_id int)
                    ON r.partner_id = new_line.partner_id
                """,
                columns=SQL(", ").join(columns),
                values=SQL(", ").join(SQL("r.%s", column) for column in columns),
                typed=SQL(", ").join(typed),
                relation=SQL.identifier(recipients_field.relation),
                column1=SQL.identifier(recipients_field.column1),
                column2=SQL.identifier(recipients_field.column2),
                wizard=wizard.id,
                uid=user_id,
                now=self.env.cr.now(),
                rows=json.dumps(payload),
                recipients=json.dumps(recipients),
            )
        )
        wizard.invalidate_recordset(["line_ids"])
        self.invalidate_model()

    # -------------------------------------------------------------------------
    # The accountant's choice of items
    # -------------------------------------------------------------------------

    def _get_amounts_from_items(self):
        """The line's amounts for its ticked overdue items and its open credits, as Apply Filters
        computes them (``dunning.level._net_amounts``)."""
        self.ensure_one()
        wizard = self.wizard_id
        level = self.level_id or wizard.level_id
        company_currency = wizard.company_id.currency_id
        handling = wizard.applied_credit_handling or level.credit_handling
        ticked = self.overdue_item_ids.filtered("selected")
        overdue, open_credits = amounts_by_currency(
            (item.is_credit, item.currency_id, item.amount_residual_currency, item.amount_residual)
            for item in ticked | self.credit_item_ids
        )
        foreign = set(overdue) - {company_currency}
        rates = level._get_rates(foreign, wizard.as_of_date) if foreign else {}
        net = level._net_amounts(overdue, open_credits, rates, handling, company_currency)
        amount_overdue = company_currency.round(sum(ticked.mapped("amount_residual")))
        return {
            "move_line_ids_data": sorted(ticked.move_line_id.ids),
            "invoice_count": len(ticked.move_id),
            "invoice_names": ", ".join(sorted(set(ticked.move_line_id.mapped("move_name")))),
            "amount_overdue": amount_overdue,
            "amount_credit": net["amount_credit"],
            "amount_net": net["amount_net"] if handling == "net" else amount_overdue,
            "amounts_by_currency_data": [[currency.id, amount] for currency, amount in net["amounts_due"]],
            "max_days_overdue": max(ticked.mapped("days_overdue"), default=0),
        }

    def action_open_items(self):
        """The customer's overdue items and open credits, to untick items for this run only."""
        self.ensure_one()
        self.check_access("write")
        if self.excluded or self.wizard_id.state == "sent":
            raise UserError(
                self.env._(
                    "%(customer)s is not to be reminded in this run: its items cannot be chosen.",
                    customer=self.partner_id.display_name,
                )
            )
        self.env["dunning.notice.send.item"]._create_for_lines(self)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Items of %(customer)s", customer=self.partner_id.display_name),
            "res_model": self._name,
            "res_id": self.id,
            "views": [(self.env.ref("dunning_notices.dunning_notice_send_line_view_form").id, "form")],
            "target": "new",
            "context": {"dialog_size": "extra-large"},
        }

    def action_apply_items(self):
        """The line follows its ticked items: the notice lists those only; back to the run."""
        self.ensure_one()
        self.check_access("write")
        if self.wizard_id.state == "sent":
            raise UserError(self.env._("These notices were already sent; open the wizard again for a new run."))
        if not self.overdue_item_ids.filtered("selected"):
            raise UserError(
                self.env._(
                    "Tick at least one overdue item of %(customer)s, or untick Print and Email to leave it out.",
                    customer=self.partner_id.display_name,
                )
            )
        # sudo: what the line holds is written by the server, from the items Apply Filters found
        self.sudo().write(self._get_amounts_from_items())
        return self.wizard_id._reopen()

    def action_discard_items(self):
        """Back to the run, the items ticked as the line holds them."""
        self.ensure_one()
        self.check_access("write")
        chosen = set(self.move_line_ids_data or [])
        for item in self.overdue_item_ids:
            item.selected = item.move_line_id.id in chosen
        return self.wizard_id._reopen()

    @api.constrains("extra_emails", "to_email")
    def _check_extra_emails(self):
        """Checked as they are typed: each address valid by Odoo's own normalisation (a local part and a
        domain), at most the company's bound, and only by a user who may create the contacts Send makes
        of unknown addresses."""
        for line in self:
            emails = line._split_extra_emails()
            if not emails:
                continue
            invalid = [email for email in emails if not is_valid_email(email)]
            if invalid:
                raise ValidationError(
                    self.env._(
                        "%(customer)s: invalid email address %(emails)s.",
                        customer=line.partner_id.display_name,
                        emails=", ".join(invalid),
                    )
                )
            limit = line.wizard_id.company_id.dunning_max_extra_emails
            if len(emails) > limit:
                raise ValidationError(
                    self.env._(
                        "%(customer)s: %(count)s additional emails, at most %(limit)s are accepted per customer.",
                        customer=line.partner_id.display_name,
                        count=len(emails),
                        limit=limit,
                    )
                )
            # as the user, not as the server (19.0 checks constraints as superuser)
            if line.to_email and not self.env["res.partner"].sudo(False).has_access("create"):
                normalized = {email_normalize(email) for email in emails}
                known = self.env["res.partner"].search_fetch([("email_normalized", "in", list(normalized))], ["email"])
                if normalized - set(known.mapped("email_normalized")):
                    raise ValidationError(
                        self.env._(
                            "%(customer)s: you may not create contacts, so only the addresses of existing "
                            "contacts can be added.",
                            customer=line.partner_id.display_name,
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
        vals_by_wizard = {wizard: wizard._prepare_notice_vals() for wizard in self.wizard_id}
        vals_list = []
        for line in self:
            recipients = line.recipient_ids
            for email in line._split_extra_emails():
                recipients |= extra_partners.get(email, self.env["res.partner"])
            wizard_vals = vals_by_wizard[line.wizard_id]
            level = line.level_id or line.wizard_id.level_id
            vals_list.append(
                {
                    **wizard_vals,
                    # a run of all levels: the line's level, its templates unless the run chose others
                    "level_id": level.id,
                    "credit_handling": line.wizard_id.applied_credit_handling or level.credit_handling,
                    "report_id": wizard_vals["report_id"] or level.report_id.id,
                    "mail_template_id": wizard_vals["mail_template_id"] or level.mail_template_id.id,
                    "partner_id": line.partner_id.id,
                    "to_print": line.to_print,
                    "to_email": line.to_email,
                    "recipient_ids": [Command.set(recipients.ids if line.to_email else [])],
                    "move_line_ids_data": line.move_line_ids_data,
                    "credit_move_line_ids_data": line.credit_move_line_ids_data or [],
                    # as Apply Filters found them: the notice need not load its journal items to be listed
                    "invoice_count": line.invoice_count,
                    "amount_overdue": line.amount_overdue,
                    "amount_credit": line.amount_credit,
                    "amount_net": line.amount_net,
                    "max_days_overdue": line.max_days_overdue,
                }
            )
        return vals_list
