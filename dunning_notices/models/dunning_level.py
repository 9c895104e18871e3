from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError

from ..compat import Constraint

# Bounds of a level's ranges: a century of days, and amounts no ledger reaches.
MAX_DAYS_OVERDUE = 36500
MAX_AMOUNT_OVERDUE = 10**12

# Items of invoices paid and waiting for the bank, whose payment is blocked (Odoo's block, recomputed
# away by a later payment) or that are disputed (ours, durable) are not dunned.
# Not dunned: an invoice in payment or blocked (Odoo's payment block), disputed, or an item promised
PROMISED = ("dunning_promise_ids", "any", [("state", "=", "open")])
NOT_TO_DUN = [
    "|",
    "|",
    ("move_id.payment_state", "in", ("in_payment", "blocked")),
    ("move_id.dunning_blocked", "=", True),
    PROMISED,
]
OPEN_TO_DUN = [
    ("move_id.payment_state", "not in", ("in_payment", "blocked")),
    ("move_id.dunning_blocked", "=", False),
    ("dunning_promise_ids", "not any", [("state", "=", "open")]),
]

CREDIT_HANDLING_SELECTION = [
    ("net", "Deduct open credits"),
    ("show", "Show open credits"),
    ("ignore", "Ignore open credits"),
]
# Why a customer is left out of a run: stable keys, used by tests, runs and later features.
EXCLUSION_REASONS = [
    ("credits_cover", "Credits cover the overdue amount"),
    ("below_min_amount", "Below the level's minimum"),
    ("above_max_amount", "Above the level's maximum"),
    ("all_blocked", "Every overdue item in payment or blocked"),
    ("archived", "Archived customer"),
    ("no_overdue", "Nothing overdue"),
    ("on_hold", "Customer on dunning hold"),
    ("min_interval", "Reminded too recently"),
    ("duplicate", "Notice of this level and date already made"),
    ("escalation_wait", "Waiting for the next level"),
    ("review", "Left out in review"),
    ("promised", "Promised to pay"),
]
ESCALATION_MODE_SELECTION = [
    ("range", "By days range"),
    ("sequential", "One level after the other"),
]


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
        help="A customer is listed when what it owes on the selected items (net of its open credits when "
        "they are deducted) is at least this amount.",
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
    credit_handling = fields.Selection(
        CREDIT_HANDLING_SELECTION,
        string="Open Credits",
        required=True,
        default="net",
        help="Open credit notes, payments and advances of the customer not matched yet: deducted from "
        "what is overdue in their currency (the amount range then applies to the net), shown on the "
        "notice without being deducted, or ignored.",
    )
    note = fields.Text(
        string="Notice Text",
        translate=True,
        help="Text shown on the printed notice above the list of overdue invoices.",
    )
    escalation_mode = fields.Selection(
        ESCALATION_MODE_SELECTION,
        string="Escalation",
        required=True,
        default="range",
        help="By days range: the items whose days overdue fall in the level's range. One level after the "
        "other: an item reaches this level once its days overdue reach the minimum (the maximum is not "
        "used) and its notice of the level before was delivered; the first level takes the items never "
        "reminded.",
    )
    min_days_since_previous = fields.Integer(
        string="Days Since Previous Level",
        help="One level after the other: the days to wait after the notice of the level before was sent.",
    )
    notice_count = fields.Integer(compute="_compute_notice_count")
    # the ranges as people say them ("61+ days", "any amount"): 0 means no limit
    days_range_display = fields.Char(string="Days Overdue", compute="_compute_range_display")
    amount_range_display = fields.Char(string="Amount Overdue", compute="_compute_range_display")

    _days_positive = Constraint(
        "CHECK(min_days_overdue >= 0 AND max_days_overdue >= 0)",
        "The days overdue of a dunning level cannot be negative.",
    )
    _amounts_positive = Constraint(
        "CHECK(min_amount_overdue >= 0 AND max_amount_overdue >= 0)",
        "The amounts overdue of a dunning level cannot be negative.",
    )

    # -------------------------------------------------------------------------
    # COMPUTE / CONSTRAINTS
    # -------------------------------------------------------------------------

    @api.depends("name", "days_range_display")
    @api.depends_context("lang", "dunning_level_hide_range")
    def _compute_display_name(self):
        # the range tells levels apart in the wizard's dropdown; letters print the plain name, and so do
        # the lists of customers and notices (context dunning_level_hide_range), to leave room
        hide_range = self.env.context.get("dunning_level_hide_range")
        for level in self:
            if not level.name:
                level.display_name = level.days_range_display
            else:
                level.display_name = level.name if hide_range else f"{level.name} ({level.days_range_display})"

    @api.depends(
        "min_days_overdue",
        "max_days_overdue",
        "min_amount_overdue",
        "max_amount_overdue",
        "currency_id",
        "escalation_mode",
    )
    @api.depends_context("lang")
    def _compute_range_display(self):
        for level in self:
            low, high = level.min_days_overdue, level.max_days_overdue
            # one level after the other: the maximum is not used
            if level.escalation_mode == "sequential" or not high:
                level.days_range_display = self.env._("%(min)s+ days", min=low)
            else:
                level.days_range_display = self.env._("%(min)s-%(max)s days", min=low, max=high)
            low, high = level.min_amount_overdue, level.max_amount_overdue
            low_text, high_text = (tools.format_amount(self.env, amount, level.currency_id) for amount in (low, high))
            if low and high:
                level.amount_range_display = self.env._("%(min)s to %(max)s", min=low_text, max=high_text)
            elif low:
                level.amount_range_display = self.env._("from %(min)s", min=low_text)
            elif high:
                level.amount_range_display = self.env._("up to %(max)s", max=high_text)
            else:
                level.amount_range_display = self.env._("any amount")

    def _compute_notice_count(self):
        counts = dict(self.env["dunning.notice"]._read_group([("level_id", "in", self.ids)], ["level_id"], ["__count"]))
        for level in self:
            level.notice_count = counts.get(level, 0)

    @api.constrains(
        "min_days_overdue", "max_days_overdue", "min_amount_overdue", "max_amount_overdue", "min_days_since_previous"
    )
    def _check_ranges(self):
        for level in self:
            if not 0 <= level.min_days_since_previous <= MAX_DAYS_OVERDUE:
                raise ValidationError(
                    self.env._(
                        "Level %(level)s: the days since the previous level must be between 0 and %(max)s.",
                        level=level.name,
                        max=MAX_DAYS_OVERDUE,
                    )
                )
            if min(level.min_days_overdue, level.max_days_overdue) < 0:
                raise ValidationError(
                    self.env._("Level %(level)s: the days overdue cannot be negative.", level=level.name)
                )
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
                raise ValidationError(
                    self.env._("Level %(level)s: the amounts overdue cannot be negative.", level=level.name)
                )
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
            # levels and notices are named in the message; the wizard being filled in needs no name
            owner = record[record._rec_name] if record._rec_name else ""
            report = record.sudo().report_id
            if report and (report.model != "dunning.notice" or report.report_type != "qweb-pdf"):
                raise ValidationError(
                    self.env._(
                        "%(record)s: the printable template %(report)s is not a dunning notice report.",
                        record=owner,
                        report=report.name,
                    )
                    if owner
                    else self.env._(
                        "The printable template %(report)s is not a dunning notice report.", report=report.name
                    )
                )
            template = record.sudo().mail_template_id
            if template and template.model != "dunning.notice":
                raise ValidationError(
                    self.env._(
                        "%(record)s: the email template %(template)s is not a dunning notice template.",
                        record=owner,
                        template=template.name,
                    )
                    if owner
                    else self.env._(
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
            # copy() rather than create(): it carries the translations of name and note along; each copy
            # charges the interest scheme of its own company (its copy of the preset the template uses)
            copies = templates.sorted().copy({"company_id": company.id, "interest_scheme_id": False})
            schemes = {}
            for template, level in zip(templates.sorted(), copies, strict=True):
                if scheme := template.interest_scheme_id:
                    if scheme not in schemes:
                        schemes[scheme] = scheme._for_company(company)
                    level.interest_scheme_id = schemes[scheme]
            new_levels |= copies
        return new_levels
