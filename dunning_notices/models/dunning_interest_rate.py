from odoo import api, fields, models

from ..compat import Constraint


class DunningInterestRate(models.Model):
    """A reference rate in force from a date until the next row of its code (the ECB main refinancing
    operations rate, a national legal rate...): data that admins extend as the rates are published."""

    _name = "dunning.interest.rate"
    _description = "Reference Interest Rate"
    _order = "code, date_from desc"

    code = fields.Char(required=True, index=True, help="The rate series, e.g. ecb_mro for the ECB refinancing rate.")
    date_from = fields.Date(string="In Force From", required=True)
    rate = fields.Float(string="Rate (%)", required=True, digits=(16, 4))

    _code_date_uniq = Constraint("unique(code, date_from)", "A rate series has one rate per date.")

    @api.depends("code", "date_from", "rate")
    def _compute_display_name(self):
        for rate in self:
            rate.display_name = f"{rate.code} {rate.date_from}: {rate.rate:g} %"

    @api.model
    def _get_series(self, codes):
        """{code: [(date_from, rate)] oldest first} of ``codes``: one search for a whole batch."""
        series = {code: [] for code in codes}
        domain = [("code", "in", list(codes))]
        for rate in self.sudo().search_fetch(domain, ["code", "date_from", "rate"], order="date_from"):
            series[rate.code].append((rate.date_from, rate.rate))
        return series
