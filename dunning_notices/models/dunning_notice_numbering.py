# The notice's numbers: one ir.sequence per company (STYLE section 8, one file per concern).
# pylint: disable=consider-merging-classes-inherited
from odoo import api, fields, models

NOTICE_SEQUENCE_CODE = "dunning.notice"
# the shipped sequence's settings, for a company created later (data/ir_sequence_data.xml)
NOTICE_SEQUENCE_DEFAULTS = {
    "name": "Dunning Notice",
    "code": NOTICE_SEQUENCE_CODE,
    "prefix": "DUN/%(range_year)s/",
    "padding": 5,
    "use_date_range": True,
}


class DunningNotice(models.Model):
    """Each company numbers its notices with a sequence of its own (``ir.sequence.next_by_id``), created
    with the company (or at install for the existing ones); a notice takes its number from its own
    company's, whatever the company of the user's session. Drafts (saved for review) are numbered when
    their run is sent: a discarded draft uses no number."""

    _inherit = "dunning.notice"

    @api.model
    def _set_next_names(self, vals_list):
        """Give each of the notices' ``vals_list`` the next number of its company."""
        by_company = {}
        for vals in vals_list:
            by_company.setdefault(vals.get("company_id") or self.env.company.id, []).append(vals)
        for company_id, company_vals in by_company.items():
            names = self._get_next_names(self.env["res.company"].browse(company_id), len(company_vals))
            for vals, name in zip(company_vals, names, strict=True):
                vals["name"] = name

    @api.model
    def _get_next_names(self, company, count):
        """``count`` numbers of ``company``'s notice sequence, in its company: two queries a number
        (the year's range, then its PostgreSQL sequence)."""
        if not count:
            return []
        sequence = self._get_notice_sequence(company).with_company(company)
        today = fields.Date.context_today(self)
        return [sequence.next_by_id(sequence_date=today) for _i in range(count)]

    @api.model
    def _get_notice_sequence(self, company):
        """``company``'s notice sequence; one made now when it has none (a company of a database from
        before sequences per company: it goes on from the shared sequence, its notices keep unique
        numbers)."""
        sequence_model = self.env["ir.sequence"].sudo()
        domain = [("code", "=", NOTICE_SEQUENCE_CODE), ("company_id", "=", company.id)]
        return sequence_model.search(domain, limit=1) or self._create_notice_sequences(company, continue_shared=True)

    @api.model
    def _create_notice_sequences(self, companies, continue_shared=False):
        """A notice sequence for each of ``companies`` that has none, numbering from 1; with
        ``continue_shared``, from where the sequence that numbered every company's notices before stands
        (and its yearly ranges with it)."""
        sequence_model = self.env["ir.sequence"].sudo()
        having = sequence_model.search(
            [("code", "=", NOTICE_SEQUENCE_CODE), ("company_id", "in", companies.ids)]
        ).company_id
        todo = companies - having
        if not todo:
            return sequence_model
        shared = sequence_model.search([("code", "=", NOTICE_SEQUENCE_CODE), ("company_id", "=", False)], limit=1)
        model_vals = dict(NOTICE_SEQUENCE_DEFAULTS)
        if shared:  # an admin's prefix or padding
            model_vals.update(shared.read(["prefix", "suffix", "padding", "use_date_range", "implementation"])[0])
            model_vals.pop("id")
        if shared and continue_shared:
            model_vals["number_next"] = shared.number_next_actual
        sequences = sequence_model.create([{**model_vals, "company_id": company.id} for company in todo])
        if shared and continue_shared and shared.use_date_range:
            self.env["ir.sequence.date_range"].sudo().create(
                [
                    {  # number_next_actual: the range's number_next is overridden by its default
                        "sequence_id": sequence.id,
                        "date_from": date_range.date_from,
                        "date_to": date_range.date_to,
                        "number_next_actual": date_range.number_next_actual,
                    }
                    for sequence in sequences
                    for date_range in shared.date_range_ids
                ]
            )
        return sequences
