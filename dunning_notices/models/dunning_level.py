from datetime import date, timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

# Bounds of a level's ranges: a century of days, and amounts no ledger reaches.
MAX_DAYS_OVERDUE = 36500
MAX_AMOUNT_OVERDUE = 10**12


def _days_before(day, days):
    """``day`` minus ``days`` days, the earliest date rather than an overflow."""
    try:
        return day - timedelta(days=days)
    except OverflowError:
        return date.min


class DunningLevel(models.Model):
    _name = "dunning.level"
    _description = "Dunning Level"
    _order = "sequence, min_days_overdue, id"
    _check_company_auto = True

    def _default_report_id(self):
        return self.env.ref("dunning_notices.action_report_dunning_notice", raise_if_not_found=False)

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")
    min_days_overdue = fields.Integer(
        string="From (days overdue)",
        default=1,
        help="Invoices are selected when their days past due are at least this number.",
    )
    max_days_overdue = fields.Integer(
        string="To (days overdue)",
        help="Invoices are selected when their days past due are at most this number; 0 means no upper bound.",
    )
    min_amount_overdue = fields.Monetary(
        string="From (amount overdue)",
        currency_field="currency_id",
        help="A customer is listed when the total of its selected invoices is at least this amount.",
    )
    max_amount_overdue = fields.Monetary(
        string="To (amount overdue)",
        currency_field="currency_id",
        help="A customer is listed when the total of its selected invoices is at most this amount; "
        "0 means no upper bound.",
    )
    report_id = fields.Many2one(
        "ir.actions.report",
        string="Printable Template",
        required=True,
        default=lambda self: self._default_report_id(),
        domain=[("model", "=", "dunning.notice"), ("report_type", "=", "qweb-pdf")],
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Email Template",
        domain=[("model", "=", "dunning.notice")],
    )
    attach_notice_pdf = fields.Boolean(
        string="Attach the Notice PDF to Emails",
        default=True,
        help="When unticked, emails carry the overdue invoices in their body only, which is much faster "
        "to send; the notice PDF is still rendered when the notice is printed.",
    )
    note = fields.Text(
        string="Notice Text",
        translate=True,
        help="Text shown on the printed notice above the list of overdue invoices.",
    )
    notice_count = fields.Integer(compute="_compute_notice_count")

    _sql_constraints = [
        (
            "days_positive",
            "CHECK(min_days_overdue >= 0 AND max_days_overdue >= 0)",
            "The days overdue of a dunning level cannot be negative.",
        ),
        (
            "amounts_positive",
            "CHECK(min_amount_overdue >= 0 AND max_amount_overdue >= 0)",
            "The amounts overdue of a dunning level cannot be negative.",
        ),
    ]

    # -------------------------------------------------------------------------
    # COMPUTE / CONSTRAINTS
    # -------------------------------------------------------------------------

    def _compute_notice_count(self):
        counts = dict(self.env["dunning.notice"]._read_group([("level_id", "in", self.ids)], ["level_id"], ["__count"]))
        for level in self:
            level.notice_count = counts.get(level, 0)

    @api.constrains("min_days_overdue", "max_days_overdue", "min_amount_overdue", "max_amount_overdue")
    def _check_ranges(self):
        for level in self:
            if min(level.min_days_overdue, level.max_days_overdue) < 0:
                raise ValidationError(self.env._("The days overdue of a dunning level cannot be negative."))
            if max(level.min_days_overdue, level.max_days_overdue) > MAX_DAYS_OVERDUE:
                raise ValidationError(
                    self.env._(
                        "Level %(level)s: the days overdue cannot exceed %(max)s (a hundred years).",
                        level=level.name,
                        max=MAX_DAYS_OVERDUE,
                    )
                )
            if level.max_days_overdue and level.max_days_overdue < level.min_days_overdue:
                raise ValidationError(
                    self.env._(
                        "Level %(level)s: the days overdue range is inverted (%(min)s to %(max)s).",
                        level=level.name,
                        min=level.min_days_overdue,
                        max=level.max_days_overdue,
                    )
                )
            if min(level.min_amount_overdue, level.max_amount_overdue) < 0:
                raise ValidationError(self.env._("The amounts overdue of a dunning level cannot be negative."))
            if max(level.min_amount_overdue, level.max_amount_overdue) >= MAX_AMOUNT_OVERDUE:
                raise ValidationError(
                    self.env._(
                        "Level %(level)s: the amounts overdue must be below %(max)s.",
                        level=level.name,
                        max=level.currency_id.format(MAX_AMOUNT_OVERDUE),
                    )
                )
            if level.max_amount_overdue and level.max_amount_overdue < level.min_amount_overdue:
                raise ValidationError(
                    self.env._(
                        "Level %(level)s: the amount overdue range is inverted (%(min)s to %(max)s).",
                        level=level.name,
                        min=level.min_amount_overdue,
                        max=level.max_amount_overdue,
                    )
                )

    @api.constrains("report_id", "mail_template_id")
    def _check_templates_model(self):
        self._check_templates_of(self)

    @api.model
    def _check_templates_of(self, records):
        """The printable and email templates of ``records`` (levels, runs, notices) are dunning notice
        ones: the queue renders them on notices, as superuser."""
        for record in records:
            report = record.sudo().report_id
            if report and (report.model != "dunning.notice" or report.report_type != "qweb-pdf"):
                raise ValidationError(
                    self.env._("The printable template %(report)s is not a dunning notice report.", report=report.name)
                )
            template = record.sudo().mail_template_id
            if template and template.model != "dunning.notice":
                raise ValidationError(
                    self.env._(
                        "The email template %(template)s is not a dunning notice template.", template=template.name
                    )
                )

    # -------------------------------------------------------------------------
    # ACTIONS
    # -------------------------------------------------------------------------

    def action_view_notices(self):
        self.ensure_one()
        action = self.env["ir.actions.actions"]._for_xml_id("dunning_notices.dunning_notice_action")
        action["domain"] = [("level_id", "=", self.id)]
        action["context"] = {"create": False}
        return action

    # -------------------------------------------------------------------------
    # BUSINESS: selection rules
    # -------------------------------------------------------------------------

    def _get_overdue_lines_domain(self, as_of_date, date_basis, partner_domain=None):
        """Receivable journal items of posted customer invoices past due at ``as_of_date`` whose days
        overdue, counted from ``date_basis``, fall in the level's range. Working on journal items
        rather than invoices makes each instalment count on its own due date."""
        self.ensure_one()
        date_field = "invoice_date" if date_basis == "invoice_date" else "date_maturity"
        domain = [
            ("company_id", "=", self.company_id.id),
            ("parent_state", "=", "posted"),
            ("account_type", "=", "asset_receivable"),
            ("move_id.move_type", "=", "out_invoice"),
            ("reconciled", "=", False),
            ("amount_residual", ">", 0),
            ("date", "<=", as_of_date),
            ("date_maturity", "<", as_of_date),
            (date_field, "<=", _days_before(as_of_date, self.min_days_overdue)),
        ]
        if self.max_days_overdue:
            domain.append((date_field, ">=", _days_before(as_of_date, self.max_days_overdue)))
        if partner_domain:
            domain.append(("partner_id", "any", partner_domain))
        return domain

    @api.model
    def _get_days_overdue(self, line, as_of_date, date_basis):
        reference = line.invoice_date if date_basis == "invoice_date" else line.date_maturity
        return (as_of_date - (reference or line.date_maturity)).days

    def _match_amount(self, amount):
        self.ensure_one()
        currency = self.currency_id
        if self.min_amount_overdue and currency.compare_amounts(amount, self.min_amount_overdue) < 0:
            return False
        return not self.max_amount_overdue or currency.compare_amounts(amount, self.max_amount_overdue) <= 0

    def _get_overdue_by_partner(self, as_of_date, date_basis, partner_domain=None):
        """Return {commercial partner: summary} for the customers this level selects, the summary being
        a dict of ``move_line_ids``, ``invoice_count``, ``invoice_names``, ``amount_overdue`` (company
        currency), ``amounts_by_currency`` [(currency, amount)] and ``max_days_overdue``.

        Two grouped queries whatever the number of customers and invoices: the journal items are
        summed in the database, not loaded as records. The amount range applies to the total of the
        items the days range selected."""
        self.ensure_one()
        # by customer and currency: an invoice has one currency, so the groups add up per customer
        groups = self.env["account.move.line"]._read_group(
            self._get_overdue_lines_domain(as_of_date, date_basis, partner_domain),
            ["partner_id", "currency_id"],
            [
                "amount_residual:sum",
                "amount_residual_currency:sum",
                "id:array_agg",
                "move_id:count_distinct",
                "move_name:array_agg",
                "date_maturity:min",
                "invoice_date:min",
            ],
            order="partner_id, currency_id",
        )
        summaries = {}
        for partner, currency, amount, amount_currency, ids, move_count, names, oldest_due, oldest_invoice in groups:
            if not partner:
                continue
            oldest = oldest_due if date_basis != "invoice_date" else (oldest_invoice or oldest_due)
            summary = summaries.setdefault(
                partner,
                {
                    "move_line_ids": [],
                    "invoice_count": 0,
                    "invoice_names": set(),
                    "amount_overdue": 0.0,
                    "amounts_by_currency": [],
                    "max_days_overdue": 0,
                },
            )
            summary["move_line_ids"] += ids
            summary["invoice_count"] += move_count
            summary["invoice_names"].update(names)
            summary["amount_overdue"] += amount
            summary["amounts_by_currency"].append((currency, amount_currency))
            summary["max_days_overdue"] = max(summary["max_days_overdue"], (as_of_date - oldest).days)
        result = {}
        for partner, summary in summaries.items():
            if self._match_amount(summary["amount_overdue"]):
                summary["move_line_ids"].sort()
                summary["invoice_names"] = ", ".join(sorted(summary["invoice_names"]))
                result[partner] = summary
        return result

    # -------------------------------------------------------------------------
    # DEFAULT DATA
    # -------------------------------------------------------------------------

    @api.model
    def _create_default_levels(self, companies):
        """Copy the levels shipped with the addon (data of the main company) into each company of
        ``companies`` that has no level yet; copies keep the translations of the originals."""
        defaults = (
            self.env["ir.model.data"].sudo().search([("module", "=", "dunning_notices"), ("model", "=", self._name)])
        )
        templates = self.sudo().with_context(active_test=False).browse(defaults.mapped("res_id")).exists()
        if not templates:
            return self.browse()
        with_levels = {
            company.id
            for [company] in self.sudo()
            .with_context(active_test=False)
            ._read_group([("company_id", "in", companies.ids)], ["company_id"])
        }
        new_levels = self.browse()
        for company in companies.filtered(lambda c: c.id not in with_levels):
            # copy() rather than create(): it carries the translations of name and note along
            new_levels |= templates.sorted().copy({"company_id": company.id})
        return new_levels
