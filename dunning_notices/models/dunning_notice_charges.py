# Interest and fees on a notice: computed per overdue item when the notice's snapshot is taken (or its
# draft previewed), from the level's interest scheme and fees; only what earlier delivered notices did
# not charge yet.
# pylint: disable=consider-merging-classes-inherited
from datetime import timedelta

from odoo import Command, api, fields, models

from ..compat import Constraint
from .dunning_common import delivered_domain

# The fixed compensation for recovery costs per late invoice (Directive 2011/7/EU art. 6, French D441-5)
COMPENSATION_EUR = 40.0


class DunningNoticeLine(models.Model):
    _inherit = "dunning.notice.line"

    interest_date_from = fields.Date(string="Interest From")
    interest_date_to = fields.Date(string="Interest To")
    interest_days = fields.Integer()
    amount_interest = fields.Monetary(string="Interest", currency_field="currency_id")
    amount_compensation = fields.Monetary(string="Recovery Compensation", currency_field="currency_id")

    def _get_charges_company(self):
        """(interest, compensation) of the line in the company currency, at the item's own rate like its
        amount due (not rounded)."""
        self.ensure_one()
        ratio = self.amount_residual_company / self.amount_residual if self.amount_residual else 1.0
        return self.amount_interest * ratio, self.amount_compensation * ratio

    def _sum_charges_company(self):
        """(interest, compensation) of these lines in the company currency (not rounded)."""
        interest = compensation = 0.0
        for line in self:
            line_interest, line_compensation = line._get_charges_company()
            interest += line_interest
            compensation += line_compensation
        return interest, compensation


class DunningNotice(models.Model):
    _inherit = "dunning.notice"

    amount_fee_fixed = fields.Monetary(string="Notice Fee", readonly=True, currency_field="currency_id")
    amount_interest = fields.Monetary(
        string="Interest", compute="_compute_amount_charges", store=True, currency_field="currency_id"
    )
    amount_fees = fields.Monetary(
        string="Fees", compute="_compute_amount_charges", store=True, currency_field="currency_id"
    )
    amount_total_due = fields.Monetary(
        string="Total with Charges", compute="_compute_amount_charges", store=True, currency_field="currency_id"
    )
    charge_move_id = fields.Many2one(
        "account.move", string="Charge Invoice", readonly=True, copy=False, index="btree_not_null"
    )

    _charge_move_uniq = Constraint("unique(charge_move_id)", "A charge invoice belongs to one dunning notice.")

    @api.depends("line_ids.amount_interest", "line_ids.amount_compensation", "amount_fee_fixed", "amount_net")
    def _compute_amount_charges(self):
        for notice in self:
            interest, fees = notice.line_ids.filtered(lambda line: line.line_type == "overdue")._sum_charges_company()
            currency = notice.currency_id
            notice.amount_interest = currency.round(interest)
            notice.amount_fees = currency.round(fees + notice.amount_fee_fixed)
            notice.amount_total_due = notice.amount_net + notice.amount_interest + notice.amount_fees

    def _get_charges(self, items_by_notice):
        """{(notice id, item id): line values} of the interest and compensation charged on the overdue
        ``items_by_notice`` ({notice: items}); {notice id: fixed fee}. Earlier notices' charges are read in
        two grouped queries: interest runs from the day after the last day charged on a delivered notice,
        the compensation is charged once per invoice."""
        charges, fees = {}, {}
        charging = {
            notice: items
            for notice, items in items_by_notice.items()
            if notice.level_id._charges_customer(notice.partner_id) and items
        }
        if not charging:
            return charges, fees
        all_items = self.env["account.move.line"].concat(*charging.values())
        line_model = self.env["dunning.notice.line"].sudo()
        delivered = [
            ("line_type", "=", "overdue"),
            *delivered_domain("notice_id."),
            ("notice_id", "not in", [notice.id for notice in charging]),
        ]
        charged_until = dict(
            line_model._read_group(
                [*delivered, ("move_line_id", "in", all_items.ids), ("interest_date_to", "!=", False)],
                ["move_line_id"],
                ["interest_date_to:max"],
            )
        )
        compensated = {
            move
            for [move] in line_model._read_group(
                [*delivered, ("move_id", "in", all_items.move_id.ids), ("amount_compensation", ">", 0)], ["move_id"]
            )
        }
        codes = {notice.level_id.interest_scheme_id.base_code for notice in charging} - {False}
        series = self.env["dunning.interest.rate"]._get_series(codes)
        eur = self.env.ref("base.EUR")
        compensation_in = {}  # EUR 40 in a currency, for a company and day: one conversion each

        def get_compensation(currency, company, day):
            key = currency, company, day
            if key not in compensation_in:
                compensation_in[key] = eur._convert(COMPENSATION_EUR, currency, company, day)
            return compensation_in[key]

        for notice, items in charging.items():
            level = notice.level_id
            scheme = level.interest_scheme_id
            if level.fee_fixed:
                fees[notice.id] = level.fee_fixed
            for item in items:
                vals = {}
                if item.move_id.dunning_charge_notice_id:
                    continue  # a charge invoice never earns interest nor fees (no interest on interest)
                if scheme:
                    start = item.date_maturity + timedelta(days=1)
                    if item in charged_until:
                        start = max(start, charged_until[item] + timedelta(days=1))
                    interest, days = scheme._compute_interest(
                        item.amount_residual_currency, start, notice.as_of_date, item.currency_id,
                        series.get(scheme.base_code, []),
                    )  # fmt: skip
                    if days:
                        vals.update(
                            interest_date_from=start,
                            interest_date_to=notice.as_of_date,
                            interest_days=days,
                            amount_interest=interest,
                        )
                if (
                    level.fee_compensation
                    and item.move_id.move_type == "out_invoice"
                    and item.move_id not in compensated
                ):
                    compensated.add(item.move_id)  # once per invoice, its instalments included
                    vals["amount_compensation"] = get_compensation(
                        item.currency_id, notice.company_id, notice.as_of_date
                    )
                if vals:
                    charges[notice.id, item.id] = vals
        return charges, fees

    def _get_charges_summary(self):
        """What the notice charges on top of the amounts due, in the company currency, for its PDF and
        email (a draft: as it would be charged now): ``interest``, ``compensation``, ``fee``, ``charges``
        (their sum), ``total`` (the net amount due plus the charges) and ``show_total``."""
        self.ensure_one()
        interest, compensation = self._get_overdue_lines()._sum_charges_company()
        if self.state == "draft":
            level = self.level_id
            fee = level.fee_fixed if level._charges_customer(self.partner_id) else 0.0
        else:
            fee = self.amount_fee_fixed
        currency = self.currency_id
        charges = currency.round(interest) + currency.round(compensation) + fee
        rows = [row for row in self._get_currency_summary() if row["offset"]]
        return {
            # a total with the charges only when what is due is in the company currency (no sum of currencies)
            "show_total": all(row["currency"] == currency for row in rows),
            "interest": currency.round(interest),
            "compensation": currency.round(compensation),
            "fee": fee,
            "charges": charges,
            "total": self._get_net_amounts()["amount_net"] + charges,
        }

    def _post_notice(self, mail_values=None, pdfs=None):
        # EXTENDS: the charge invoice first, in the same transaction: a notice is not sent without it
        self._post_charge_invoice()
        return super()._post_notice(mail_values, pdfs)

    def _post_charge_invoice(self):
        """The customer invoice of the notice's interest and fees, posted; once per notice (a retried
        notice keeps its invoice)."""
        self.ensure_one()
        if self.level_id.charge_posting != "invoice" or self.charge_move_id:
            return
        lines = []
        for line in self._get_overdue_lines():
            interest, compensation = line._get_charges_company()
            for product, amount, label in (
                ("dunning_notices.product_dunning_interest", interest, self.env._("Late payment interest")),
                (
                    "dunning_notices.product_dunning_compensation",
                    compensation,
                    self.env._("Fixed compensation for recovery costs"),
                ),
            ):
                if amount:
                    lines.append((product, f"{label} {line.move_id.name}", self.currency_id.round(amount)))
        if self.amount_fee_fixed:
            lines.append(
                (
                    "dunning_notices.product_dunning_fee",
                    f"{self.env._('Reminder fee')} {self.name}",
                    self.amount_fee_fixed,
                )
            )
        if not lines:
            return
        invoice = (
            self.env["account.move"]
            .sudo()  # the queue's work for the notice: its amounts are the notice's own lines
            .with_company(self.company_id)
            .with_context(lang=self.partner_id.lang)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.partner_id.id,
                    "invoice_date": fields.Date.context_today(self),
                    "currency_id": self.currency_id.id,
                    "ref": self.name,
                    "dunning_charge_notice_id": self.id,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "product_id": self.env.ref(product).id,
                                "name": name,
                                "quantity": 1,
                                "price_unit": amount,
                                "tax_ids": [Command.clear()],
                            }
                        )
                        for product, name, amount in lines
                    ],
                }
            )
        )
        invoice.action_post()
        self._write_state({"charge_move_id": invoice.id})
