import random
from datetime import timedelta

from odoo import Command, api, fields, models

# the customers of the demo's collection history (settled invoices, notices sent before they paid)
DEMO_HISTORY_CUSTOMERS = [
    "Northwind Traders",
    "Summit Outdoor Gear",
    "Bluebird Catering",
    "Redwood Architects",
    "Silverline Electric",
    "Meadow Farms Co-op",
    "Copperfield Hotels",
    "Ironbridge Motors",
]


class DunningNotice(models.Model):
    _inherit = "dunning.notice"

    # what came in after the notice, read from the analysis (Accounting > Reporting > Dunning Effectiveness)
    collected_cash_30d = fields.Monetary(
        string="Cash within 30 Days",
        compute="_compute_collected",
        currency_field="currency_id",
        help="Of the notice's overdue items, the amount paid (payments, bank statement lines) within 30 days "
        "after it was sent, when no later notice covered them.",
    )
    collected_cash_60d = fields.Monetary(
        string="Cash within 60 Days",
        compute="_compute_collected",
        currency_field="currency_id",
        help="Of the notice's overdue items, the amount paid (payments, bank statement lines) within 60 days "
        "after it was sent, when no later notice covered them.",
    )
    collected_other_30d = fields.Monetary(
        string="Settled Otherwise within 30 Days",
        compute="_compute_collected",
        currency_field="currency_id",
        help="Of the notice's overdue items, the amount settled without cash (credit notes, write-offs) "
        "within 30 days after it was sent.",
    )
    days_to_first_cash = fields.Integer(string="Days to First Cash", compute="_compute_collected")

    def _compute_collected(self):
        # one read of the analysis for all the notices; sudo: its rows of these notices only, which the
        # user reads already
        rows = (
            self.env["dunning.effectiveness.report"]
            .sudo()
            .search_fetch(
                [("notice_id", "in", self._origin.ids)],
                ["notice_id", "cash_30d", "cash_60d", "other_30d", "days_to_first_cash"],
            )
        )
        by_notice = {row.notice_id.id: row for row in rows}
        for notice in self:
            row = by_notice.get(notice._origin.id)
            notice.collected_cash_30d = row.cash_30d if row else 0.0
            notice.collected_cash_60d = row.cash_60d if row else 0.0
            notice.collected_other_30d = row.other_30d if row else 0.0
            notice.days_to_first_cash = row.days_to_first_cash if row else 0

    # -------------------------------------------------------------------------
    # DEMO
    # -------------------------------------------------------------------------

    @api.model
    def _demo_create_collection_history(self):
        """Demo data (called from demo/dunning_notices_demo.xml): five months of notices sent and of the
        payments that followed them, dated relative to today, so that the effectiveness analysis tells a
        story: most customers pay after the first reminder, fewer after each later level, the last ones
        late or by a credit note. Every invoice is settled by today: the history customers are never
        listed in a run."""
        company = self.env.ref("base.main_company")
        levels = [self.env.ref(f"dunning_notices.dunning_level_{number}") for number in range(1, 5)]
        if any(level.company_id != company for level in levels):
            return
        collectors = self.env.ref("base.user_admin") | (
            self.env.ref("base.user_demo", raise_if_not_found=False) or self.env["res.users"]
        )
        today = fields.Date.context_today(self)
        rng = random.Random(60)  # a draw in which each level collects less than the one before
        # each notice level: the day after the due date it is sent, and the days a payment may take after it
        # (before the next level would be sent)
        sent_after_due = [5, 20, 40, 65]
        pay_delay = [(2, 12), (3, 18), (6, 24), (10, 75)]
        # who pays after which level: the share of the invoices still due that pays after it
        pays_after = [0.6, 0.5, 0.4, 1.0]
        customers = self.env["res.partner"].create(
            [
                {"name": name, "is_company": True, "email": f"ap@{name.split()[0].lower()}.example.com"}
                for name in DEMO_HISTORY_CUSTOMERS
            ]
        )
        plans = []  # (customer, due date, amount, last level index, settlement date, by credit note)
        for index in range(40):
            customer = customers[index % len(customers)]
            level_index = next(i for i, share in enumerate(pays_after) if rng.random() < share)
            delay = rng.randint(*pay_delay[level_index])
            settled_after_due = sent_after_due[level_index] + delay
            # due at most 170 days ago, early enough for the settlement to be in the past
            due = today - timedelta(days=rng.randint(settled_after_due + 1, 180))
            amount = round(rng.uniform(300, 4800), -1)
            by_credit_note = level_index >= 2 and rng.random() < 0.35
            plans.append((customer, due, amount, level_index, due + timedelta(days=settled_after_due), by_credit_note))
        invoices = self.env["account.move"].create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": customer.id,
                    "invoice_date": due - timedelta(days=30),
                    "invoice_date_due": due,
                    "invoice_line_ids": [
                        Command.create(
                            {"name": "Consulting services", "quantity": 1, "price_unit": amount, "tax_ids": []}
                        )
                    ],
                }
                for customer, due, amount, *_rest in plans
            ]
        )
        invoices.action_post()
        notice_vals = []
        for invoice, (customer, due, _amount, last_level, _settled, _credit) in zip(invoices, plans, strict=True):
            item = invoice.line_ids.filtered(lambda line: line.account_type == "asset_receivable")
            for level, days in zip(levels[: last_level + 1], sent_after_due, strict=False):
                date_sent = due + timedelta(days=days)
                notice_vals.append(
                    {
                        "company_id": company.id,
                        "partner_id": customer.id,
                        "level_id": level.id,
                        "sender_user_id": collectors[customers.ids.index(customer.id) % len(collectors)].id,
                        "as_of_date": date_sent,
                        "date_sent": date_sent,
                        "date_basis": "due_date",
                        "report_id": level.report_id.id,
                        "mail_template_id": level.mail_template_id.id,
                        "to_print": True,
                        "state": "done",
                        "move_line_ids_data": item.ids,
                        "line_ids": [
                            Command.create(self.env["dunning.notice.line"]._prepare_vals_from_move_line(item, days))
                        ],
                    }
                )
        self.create(notice_vals)
        for invoice, (*_plan, settled, by_credit_note) in zip(invoices, plans, strict=True):
            if by_credit_note:
                # posted and matched with the invoice (cancel=True), dated the day of the settlement
                invoice._reverse_moves(
                    [{"invoice_date": settled, "date": settled, "ref": "Goods returned"}], cancel=True
                )
            else:
                self.env["account.payment.register"].with_context(
                    active_model="account.move", active_ids=invoice.ids
                ).create({"payment_date": settled}).action_create_payments()
