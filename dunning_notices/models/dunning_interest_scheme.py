import re
from datetime import date, timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..compat import group_users

# The legal presets shipped in data/dunning_interest_data.xml: records of the main company there; every other
# company gets its own copy, ``dunning_notices.<company id>_<preset>`` (noupdate), as Odoo's account module
# gives each company its own copy of a chart's taxes: each company's managers tune their margin alone.
PRESETS = ("interest_scheme_eu_2011_7", "interest_scheme_fr_l441_10")


def _half_year_start(day):
    return date(day.year, 1 if day.month < 7 else 7, 1)


class DunningInterestScheme(models.Model):
    """How late-payment interest is computed: a reference rate (``base_code``, see dunning.interest.rate)
    plus a margin in points, or a fixed rate; simple interest, actual days over 365 or 360. With
    ``half_year_fixing`` (EU Directive 2011/7, French L441-10) the reference rate in force on 1 January
    applies to the first half-year and the one on 1 July to the second: the interest is split there."""

    _name = "dunning.interest.scheme"
    _description = "Late Payment Interest Scheme"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "name"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    # the margin printed on the company's legal letters: each company's own (a record rule)
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    base_code = fields.Char(string="Reference Rate", help="Code of the reference rate series; empty for a fixed rate.")
    margin = fields.Float(string="Margin (points)", digits=(16, 4))
    fixed_rate = fields.Float(string="Fixed Rate (%)", digits=(16, 4))
    day_count = fields.Selection([("act365", "Actual/365"), ("act360", "Actual/360")], required=True, default="act365")
    half_year_fixing = fields.Boolean(
        string="Rate Fixed per Half-Year",
        help="The reference rate in force on 1 January applies until 30 June, the one on 1 July until 31 December.",
    )
    note = fields.Text(translate=True)
    # the half-year whose rate the managers were last asked to check
    reminded_fixing = fields.Date(string="Rate Check Asked For", readonly=True, copy=False)

    @api.model
    def _get_preset(self, name, company):
        """The copy of ``company`` of the shipped preset ``name`` (one of PRESETS), archived or not; empty
        when the company has none."""
        preset = self.env.ref(f"dunning_notices.{name}", raise_if_not_found=False)
        if preset and preset.sudo().company_id == company:  # sudo: the main company's, whoever asks
            return preset
        return self.env.ref(f"dunning_notices.{company.id}_{name}", raise_if_not_found=False) or self.browse()

    def _get_preset_name(self):
        """The name in PRESETS of the preset that ``self`` is (or is a copy of), else False."""
        self.ensure_one()
        xmlids = (
            self.env["ir.model.data"]
            .sudo()
            .search_fetch(
                [("module", "=", "dunning_notices"), ("model", "=", self._name), ("res_id", "=", self.id)], ["name"]
            )
        )
        for xmlid in xmlids:
            match = re.fullmatch(r"(?:\d+_)?(\w+)", xmlid.name)
            if match[1] in PRESETS:
                return match[1]
        return False

    def _for_company(self, company):
        """The scheme ``company`` uses for ``self``: ``self`` when it is the company's; for a preset, the
        company's copy of it; else a new copy in the company (rates, margin, translations kept)."""
        self.ensure_one()
        if self.company_id == company:
            return self
        name = self._get_preset_name()
        if name and (preset := self._get_preset(name, company)):
            return preset
        scheme = self.copy({"company_id": company.id, "reminded_fixing": self.reminded_fixing})
        if name:
            self.env["ir.model.data"]._update_xmlids(
                [{"xml_id": f"dunning_notices.{company.id}_{name}", "record": scheme, "noupdate": True}]
            )
        return scheme

    @api.model
    def _create_default_schemes(self, companies):
        """Give each company of ``companies`` its copy of the shipped presets it lacks (at install, for a new
        company, and by the migration to 18.0.1.3.0)."""
        schemes = self.sudo().with_context(active_test=False)
        for name in PRESETS:
            preset = schemes.env.ref(f"dunning_notices.{name}", raise_if_not_found=False)
            for company in companies if preset else ():
                preset._for_company(company)

    def _check_rates_known(self, series, start):
        self.ensure_one()
        if self.base_code and (not series or series[0][0] > start):
            raise UserError(
                self.env._(
                    "No %(code)s reference rate in force on %(date)s for the interest scheme %(scheme)s: add it "
                    "under Accounting > Configuration > Dunning Interest Rates.",
                    code=self.base_code,
                    date=start,
                    scheme=self.name,
                )
            )

    def _get_periods(self, start, end, series):
        """[(days, annual rate %)] covering ``start`` to ``end`` included, split where the rate changes."""
        self.ensure_one()
        if not self.base_code:
            return [((end - start).days + 1, self.fixed_rate)]

        def rate_on(day):
            rates = [rate for date_from, rate in series if date_from <= day]
            return rates[-1] + self.margin

        # the days where the applicable rate may change: half-years, or each new rate of the series
        if self.half_year_fixing:
            cuts, cut = [], _half_year_start(start)
            while cut <= end:
                cuts.append(cut)
                cut = date(cut.year + (cut.month == 7), 7 if cut.month == 1 else 1, 1)
        else:
            cuts = [date_from for date_from, _rate in series if start < date_from <= end]
        bounds = sorted({start, *(cut for cut in cuts if start < cut <= end)})
        periods = []
        for index, period_start in enumerate(bounds):
            period_end = bounds[index + 1] - timedelta(days=1) if index + 1 < len(bounds) else end
            fixing = _half_year_start(period_start) if self.half_year_fixing else period_start
            periods.append(((period_end - period_start).days + 1, rate_on(fixing)))
        return periods

    def _compute_interest(self, amount, start, end, currency, series):
        """Simple interest on ``amount`` from ``start`` to ``end`` (both included), rounded once in
        ``currency``: ``(interest, days)``. ``series``: the scheme's reference rates (``_get_series``)."""
        self.ensure_one()
        if end < start or currency.is_zero(amount):
            return 0.0, 0
        self._check_rates_known(series, _half_year_start(start) if self.half_year_fixing else start)
        periods = self._get_periods(start, end, series)
        basis = 360 if self.day_count == "act360" else 365
        interest = amount * sum(days * rate for days, rate in periods) / 100 / basis
        return currency.round(interest), sum(days for days, _rate in periods)

    @api.constrains("name", "base_code", "fixed_rate")
    def _check_rate(self):
        for scheme in self:
            if not scheme.base_code and scheme.fixed_rate <= 0:
                raise ValidationError(
                    self.env._(
                        "The interest scheme %(scheme)s needs a reference rate or a fixed rate.", scheme=scheme.name
                    )
                )

    @api.model
    def _cron_remind_rate_fixing(self):
        """Once per half-year, a to-do for an accounting manager on each scheme fixed per half-year that a
        level uses: check the reference rate in force on 1 January or 1 July and add it if it changed
        (the rates are data the addon cannot know)."""
        fixing = _half_year_start(fields.Date.context_today(self))
        levels = self.env["dunning.level"].search([("interest_scheme_id.half_year_fixing", "=", True)])
        # the rates are shared and only the settings group writes them: one of its users of the company
        admins = group_users(self.env.ref("base.group_system")).filtered(lambda user: not user.share)
        for scheme in levels.interest_scheme_id.filtered(lambda scheme: scheme.reminded_fixing != fixing):
            admin = admins.filtered(lambda user, scheme=scheme: scheme.company_id in user.company_ids)[:1] or admins[:1]
            scheme.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=fixing + timedelta(days=14),
                summary=self.env._("Check the %(code)s rate in force on %(date)s", code=scheme.base_code, date=fixing),
                note=self.env._(
                    "The interest of %(scheme)s uses the rate in force on %(date)s: add it under Accounting > "
                    "Configuration > Dunning Interest Rates if it changed.",
                    scheme=scheme.name,
                    date=fixing,
                ),
                user_id=admin.id or self.env.uid,
            )
            scheme.reminded_fixing = fixing
