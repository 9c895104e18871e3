"""What the addon sets up once installed (the post-install hook), and, with the demo data, the demo's
history of reminders: generators kept out of the models."""

import random
from collections import defaultdict
from datetime import timedelta

from odoo import Command, fields

from . import compat

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


def create_collection_history(env):
    """Demo data (with the demo data, from the post-install hook): five months of notices sent and of the
    payments that followed them, dated relative to today, so that the effectiveness analysis tells a
    story: most customers pay after the first reminder, fewer after each later level, the last ones
    late or by a credit note. Every invoice is settled by today: the history customers are never
    listed in a run."""
    company = env.ref("base.main_company")
    levels = [env.ref(f"dunning_notices.dunning_level_{number}") for number in range(1, 5)]
    if any(level.company_id != company for level in levels):
        return
    collectors = env.ref("base.user_admin") | (env.ref("base.user_demo", raise_if_not_found=False) or env["res.users"])
    today = fields.Date.context_today(env["dunning.notice"])
    rng = random.Random(60)  # a draw in which each level collects less than the one before
    # each notice level: the day after the due date it is sent, and the days a payment may take after it
    # (before the next level would be sent)
    sent_after_due = [5, 20, 40, 65]
    pay_delay = [(2, 12), (3, 18), (6, 24), (10, 75)]
    # who pays after which level: the share of the invoices still due that pays after it
    pays_after = [0.6, 0.5, 0.4, 1.0]
    customers = env["res.partner"].create(
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
    invoices = env["account.move"].create(
        [
            {
                "move_type": "out_invoice",
                "partner_id": customer.id,
                "invoice_date": due - timedelta(days=30),
                "invoice_date_due": due,
                "invoice_line_ids": [
                    Command.create({"name": "Consulting services", "quantity": 1, "price_unit": amount, "tax_ids": []})
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
                    "date_printed": fields.Datetime.to_datetime(date_sent),  # printed and posted then
                    "move_line_ids_data": item.ids,
                    "line_ids": [Command.create(env["dunning.notice.line"]._prepare_vals_from_move_line(item, days))],
                }
            )
    env["dunning.notice"].create(notice_vals)
    for invoice, (*_plan, settled, by_credit_note) in zip(invoices, plans, strict=True):
        if by_credit_note:
            # posted and matched with the invoice (cancel=True), dated the day of the settlement
            invoice._reverse_moves([{"invoice_date": settled, "date": settled, "ref": "Goods returned"}], cancel=True)
        else:
            env["account.payment.register"].with_context(active_model="account.move", active_ids=invoice.ids).create(
                {"payment_date": settled}
            ).action_create_payments()


def post_init(env):
    # The customers' Action menu entry is for billing users: set here, as its field is named per series.
    compat.add_groups(
        env.ref("dunning_notices.res_partner_action_dunning_notice_send"), env.ref("account.group_account_invoice")
    )
    # The default levels, interest presets and the notice sequence are data of the main company: give every
    # other existing company its own copy.
    companies = env["res.company"].search([])
    env["dunning.interest.scheme"]._create_default_schemes(companies)
    env["dunning.level"]._create_default_levels(companies)
    env["dunning.notice"]._create_notice_sequences(companies)
    set_notice_paperformat(env)
    module = env.ref("base.module_dunning_notices")
    module.invalidate_recordset(["demo"])  # set by the loader in SQL, just before this hook
    if module.demo:
        create_collection_history(env)
        create_reminder_history(env)


def set_notice_paperformat(env):
    """The letter's paper format (its own margins; Odoo's and the company's formats are left as they are), in
    the main company's page size: set once, at install or by the upgrade to 1.4.0, so that an administrator's
    later choice on the report stays (the report's XML does not set it)."""
    report = env.ref("dunning_notices.action_report_dunning_notice")
    if report.paperformat_id:
        return
    letter = env.ref("base.main_company").paperformat_id.format == "Letter"
    report.paperformat_id = env.ref(
        "dunning_notices.paperformat_dunning_notice_letter" if letter else "dunning_notices.paperformat_dunning_notice"
    )


# the days after the due date at which the demo's earlier reminders of an item were sent, level after level
REMINDER_DAYS_AFTER_DUE = (4, 18, 40)
# the demo customers never reminded yet, whose cases the First Reminder's list and Left Out tab show (open
# credits, an opening balance, items in payment, an archived customer)
DEMO_NEVER_REMINDED = (
    "demo_partner_cedar",
    "demo_partner_pine",
    "demo_partner_birch",
    "demo_partner_elm",
    "demo_partner_willow",
)


def create_reminder_history(env):
    """The reminders the demo customers (references C10...) were already sent for their open items, so
    that the shipped levels, reached one after the other, each list some of them today: an item's level
    1 was sent 4 days after its due date, level 2 after 18, level 3 after 40, each at least a week ago
    (the minimum interval). One notice per customer, level and day, delivered (processed)."""
    company = env.ref("base.main_company")
    levels = env["dunning.level"].search([("company_id", "=", company.id)])
    if len(levels) < 2 or any(level.escalation_mode != "sequential" for level in levels):
        return
    today = fields.Date.context_today(env["dunning.notice"])
    latest = today - timedelta(days=max(company.dunning_min_interval_days, 7))
    items = env["account.move.line"].search(
        [
            ("company_id", "=", company.id),
            ("account_type", "=", "asset_receivable"),
            ("parent_state", "=", "posted"),
            ("reconciled", "=", False),
            ("amount_residual", ">", 0),
            ("date_maturity", "<", today),
            ("partner_id.commercial_partner_id.ref", "=like", "C10%"),
        ],
        order="date_maturity, id",
    )
    never = [env.ref(f"dunning_notices.{xmlid}", raise_if_not_found=False) for xmlid in DEMO_NEVER_REMINDED]
    sent = defaultdict(list)  # (customer, level, day) -> items
    for item in items.filtered(lambda i: i.partner_id.commercial_partner_id not in never):
        for level, days in zip(levels[: len(levels) - 1], REMINDER_DAYS_AFTER_DUE, strict=False):
            day = item.date_maturity + timedelta(days=days)
            if day > latest:
                break
            sent[item.partner_id.commercial_partner_id, level, day].append(item)
    line_model = env["dunning.notice.line"]
    env["dunning.notice"].create(
        [
            {
                "company_id": company.id,
                "partner_id": customer.id,
                "level_id": level.id,
                "sender_user_id": env.ref("base.user_admin").id,
                "as_of_date": day,
                "date_sent": day,
                "date_basis": "due_date",
                "report_id": level.report_id.id,
                "mail_template_id": level.mail_template_id.id,
                "to_print": True,
                "state": "done",
                "date_printed": fields.Datetime.to_datetime(day),  # printed and posted then
                "move_line_ids_data": [item.id for item in level_items],
                "line_ids": [
                    Command.create(line_model._prepare_vals_from_move_line(item, (day - item.date_maturity).days))
                    for item in level_items
                ],
            }
            for (customer, level, day), level_items in sent.items()
        ]
    )
