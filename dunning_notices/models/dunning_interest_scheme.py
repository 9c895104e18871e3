from datetime import date, timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..compat import group_users


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

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
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
        manager = group_users(self.env.ref("account.group_account_manager")).filtered(lambda user: not user.share)[:1]
        for scheme in levels.interest_scheme_id.filtered(lambda scheme: scheme.reminded_fixing != fixing):
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
                user_id=manager.id or self.env.uid,
            )
            scheme.reminded_fixing = fixing
