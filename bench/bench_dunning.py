#!/usr/bin/env python3
"""Benchmark of a dunning run on a seeded ledger, stage by stage.

    ./dev bench --customers 200 --invoices 10
    ./dev bench --customers 2000 --invoices 10 --pdf-notices 40

Builds (once per size, then reused) a throwaway database with the addon and a deterministic ledger:
N customers (companies and individuals, some tagged, some with invoice-address contacts), K posted
invoices each dated over the 180 days before a fixed as-of date, some partially paid, some with
instalments, a few in EUR; for about a tenth of the customers open credits (credit notes, payments not
matched yet), for every fiftieth an opening-balance journal entry; about 3% of the customers on hold
and 3% with a disputed invoice, and before each run about 5% given a notice 5 or 15 days before the
as-of date (the company's minimum interval: 10 days). Then runs the main job as an
accountant would and prints, per stage, the wall time, the SQL queries, the peak memory of the process
and the records produced.
"""

# pylint: disable=print-used
# A command-line benchmark: it prints its report.
import argparse
import cProfile
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from collections import Counter
from contextlib import contextmanager
from datetime import date, timedelta

AS_OF = date(2026, 6, 30)
ADDON = "dunning_notices"
# Set once the open credits and opening balances are in the ledger: databases seeded before them get
# them in a top-up step rather than a full reseed.
CREDITS_MARKER = "dunning_bench.credits_seeded"
# Set once the holds and disputes of the collections rules are in the ledger (same top-up way).
DISCIPLINE_MARKER = "dunning_bench.discipline_seeded"
# The company's minimum interval between two notices during the bench (the rules on, as in production).
MIN_INTERVAL_DAYS = 10


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True, help="Odoo configuration file (.local/odoo.conf)")
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--invoices", type=int, default=10, help="invoices per customer")
    parser.add_argument("--pdf-notices", type=int, default=30, help="notices of the PDF stage (0: skip)")
    parser.add_argument(
        "--invoice-notices",
        type=int,
        default=0,
        help="notices of the attach-invoices stage, their invoices without PDF",
    )
    parser.add_argument("--batch-size", type=int, default=50, help="notices per queue batch")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--http-port", type=int, default=8079, help="port serving the report assets")
    parser.add_argument("--fresh", action="store_true", help="rebuild the seeded database")
    parser.add_argument("--apply-only", action="store_true", help="stop after the wizard's stages (1, 1b, 1c)")
    parser.add_argument(
        "--lines-orm",
        action="store_true",
        help="stage 1d: the wizard's lines written again, by its one INSERT and by the ORM's create (rolled back)",
    )
    parser.add_argument(
        "--charges",
        choices=["none", "shown", "invoiced"],
        default="none",
        help="the bench level's interest (French preset), 5.00 fee and EUR 40 compensation: shown on the "
        "notices, or also invoiced (a posted invoice per notice)",
    )
    parser.add_argument(
        "--effectiveness",
        action="store_true",
        help="instead of the run: a month of notices and payments after them (rolled back), and the reads of "
        "the effectiveness analysis (stages E1-E4)",
    )
    parser.add_argument(
        "--db",
        help="the seeded database (default dunning_bench<series>_<N>x<K>, e.g. dunning_bench18_2000x10); copied "
        "from that one when it exists and this one does not (no reseeding)",
    )
    return parser.parse_args()


def odoo_cli(config, *args):
    subprocess.run([sys.executable, "-m", "odoo", "-c", config, "--log-level=warn", *args], check=True)


def psql(*args):
    return subprocess.run(["psql", "-d", "postgres", "-Atqc", *args], check=True, capture_output=True, text=True).stdout


def db_exists(name):
    return psql(f"select 1 from pg_database where datname = '{name}'").strip() == "1"


def prepare_database(args, odoo):
    """A database per size: the addon installed once (template), then the ledger seeded into a copy."""
    config = odoo.tools.config
    os.environ.update(
        PGHOST=config["db_host"] or "", PGPORT=str(config["db_port"] or 5432), PGUSER=config["db_user"] or ""
    )
    filestore = os.path.join(config["data_dir"], "filestore")
    # one PostgreSQL serves every series, and a database belongs to one: the series is in the names
    series = odoo.release.version_info[0]
    base = f"dunning_bench{series}_base"
    db = f"dunning_bench{series}_{args.customers}x{args.invoices}"
    if args.db and args.db != db:
        if args.fresh and db_exists(args.db):
            psql(f'drop database "{args.db}"')
            shutil.rmtree(os.path.join(filestore, args.db), ignore_errors=True)
        if not db_exists(args.db) and db_exists(db):
            print(f"copying {db} into {args.db}...", flush=True)
            psql(f'create database "{args.db}" template "{db}"')
            odoo_cli(args.config, "-d", args.db, "-u", ADDON, "--stop-after-init")
            return args.db, False
        db = args.db
    if args.fresh and db_exists(db):
        psql(f'drop database "{db}"')
        shutil.rmtree(os.path.join(filestore, db), ignore_errors=True)
    if db_exists(db):
        odoo_cli(args.config, "-d", db, "-u", ADDON, "--stop-after-init")  # the addon as checked out now
        return db, False
    if not db_exists(base):
        print(f"installing {ADDON} into {base} (once)...", flush=True)
        odoo_cli(args.config, "-d", base, "-i", ADDON, "--without-demo=all", "--stop-after-init")
    psql(f'create database "{db}" template "{base}"')
    # createdb -T copies the database, not its filestore (attachments, asset bundles)
    if os.path.isdir(os.path.join(filestore, base)):
        shutil.copytree(os.path.join(filestore, base), os.path.join(filestore, db), dirs_exist_ok=True)
    # the template holds the addon as it was when the template was made
    odoo_cli(args.config, "-d", db, "-u", ADDON, "--stop-after-init")
    return db, True


def seed(env, args):
    """A deterministic ledger; returns the accountant user."""
    from odoo import Command

    from odoo.addons.dunning_notices.compat import groups_field

    rng = random.Random(args.seed)
    company = env.ref("base.main_company")
    company.email = company.email or "billing@bench.example.com"
    eur = env.ref("base.EUR")
    if eur != company.currency_id:
        eur.active = True
        env["res.currency.rate"].create({"currency_id": eur.id, "name": "2025-01-01", "rate": 0.9})
    term = env["account.payment.term"].create(
        {
            "name": "Bench: half now, half in 30 days",
            "line_ids": [
                Command.create({"value": "percent", "value_amount": 50, "nb_days": 0}),
                Command.create({"value": "percent", "value_amount": 50, "nb_days": 30}),
            ],
        }
    )
    tags = env["res.partner.category"].create([{"name": f"Bench tag {i}"} for i in range(5)])
    partners = env["res.partner"].create(
        [
            {
                "name": f"Bench customer {i:05d}",
                "ref": f"B{i:05d}",
                "is_company": i % 4 != 0,
                "email": f"customer{i}@bench.example.com" if rng.random() > 0.05 else False,
                "category_id": [Command.set([rng.choice(tags).id])] if rng.random() < 0.3 else [],
            }
            for i in range(args.customers)
        ]
    )
    env["res.partner"].create(
        [
            {
                "name": f"AP {p.ref}",
                "parent_id": p.id,
                "type": "invoice",
                "email": f"ap.{p.ref.lower()}@bench.example.com",
            }
            for p in partners
            if p.is_company and rng.random() < 0.3
        ]
    )
    accountant = env["res.users"].create(
        {
            "name": "Bench Accountant",
            "login": "bench_accountant",
            "email": "accountant@bench.example.com",
            "company_id": company.id,
            "company_ids": [Command.set(company.ids)],
            groups_field(env["res.users"]): [
                Command.set([env.ref("base.group_user").id, env.ref("account.group_account_invoice").id])
            ],
        }
    )
    moves = env["account.move"]
    vals_list = []
    for partner in partners:
        for _n in range(args.invoices):
            invoice_date = AS_OF - timedelta(days=rng.randint(0, 180))
            vals = {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": invoice_date,
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Service", "quantity": 1, "price_unit": rng.randint(50, 5000), "tax_ids": []}
                    )
                ],
            }
            if rng.random() < 0.1:
                vals["invoice_payment_term_id"] = term.id
            else:
                vals["invoice_date_due"] = invoice_date + timedelta(days=rng.choice((0, 15, 30, 45, 60)))
            if rng.random() < 0.05:
                vals["currency_id"] = eur.id
            vals_list.append(vals)
    for start in range(0, len(vals_list), 1000):
        batch = env["account.move"].create(vals_list[start : start + 1000])
        batch.action_post()
        moves |= batch
        env.cr.commit()
        print(f"  {len(moves)} invoices posted", flush=True)
    # partial payments: a tenth of the invoices got half paid by a journal entry reconciled with them
    bank = env["account.journal"].search([("type", "=", "bank"), ("company_id", "=", company.id)], limit=1)
    to_pay = moves.filtered(lambda m: m.currency_id == company.currency_id and rng.random() < 0.1)
    receivable_lines = to_pay.line_ids.filtered(lambda line: line.account_type == "asset_receivable")
    payments = env["account.move"].create(
        [
            {
                "journal_id": bank.id,
                "date": AS_OF - timedelta(days=1),
                "line_ids": [
                    Command.create({"account_id": bank.default_account_id.id, "debit": line.balance / 2, "credit": 0}),
                    Command.create(
                        {
                            "account_id": line.account_id.id,
                            "partner_id": line.partner_id.id,
                            "debit": 0,
                            "credit": line.balance / 2,
                        }
                    ),
                ],
            }
            for line in receivable_lines
        ]
    )
    payments.action_post()
    for line, payment in zip(receivable_lines, payments, strict=True):
        (line | payment.line_ids.filtered(lambda pl, account=line.account_id: pl.account_id == account)).reconcile()
    env.cr.commit()
    print(f"  {len(partners)} customers, {len(moves)} invoices, {len(payments)} partial payments", flush=True)
    return accountant


def seed_credits(env, args):
    """Top-up of a seeded ledger (once per database, marked by CREDITS_MARKER, committed with it):
    for about a tenth of the customers open credits, a credit note and/or a payment not matched with
    any invoice, a fifth of them larger than what the customer owes; for every fiftieth customer an
    opening-balance journal entry due before the as-of date. Deterministic from the seed, whatever
    ran before on the database."""
    from odoo import Command

    rng = random.Random(args.seed * 1009 + 11)
    company = env.ref("base.main_company")
    eur = env.ref("base.EUR")
    partners = env["res.partner"].search([("ref", "=like", "B%"), ("parent_id", "=", False)], order="ref")
    receivable_items = env["account.move.line"]._read_group(
        [
            ("partner_id", "in", partners.ids),
            ("account_type", "=", "asset_receivable"),
            ("parent_state", "=", "posted"),
            ("reconciled", "=", False),
        ],
        ["partner_id"],
        ["amount_residual:sum"],
    )
    owed = dict(receivable_items)
    refunds, receipts = [], []
    for partner in partners:
        if rng.random() >= 0.1:
            continue
        kind = rng.choice(("refund", "payment", "both"))
        # a fifth of them cover everything the customer owes (left out: credits_cover)
        covering = rng.random() < 0.2
        amount = max(round(owed.get(partner, 0.0) * 1.1, 2), 50) if covering else rng.randint(50, 1500)
        if kind in ("refund", "both"):
            refund = {
                "move_type": "out_refund",
                "partner_id": partner.id,
                "invoice_date": AS_OF - timedelta(days=rng.randint(1, 90)),
                "invoice_line_ids": [
                    Command.create({"name": "Goods returned", "quantity": 1, "price_unit": amount, "tax_ids": []})
                ],
            }
            if not covering and rng.random() < 0.05:
                refund["currency_id"] = eur.id
            refunds.append(refund)
        if kind in ("payment", "both"):
            receipts.append(
                {
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": partner.id,
                    "amount": amount if kind == "payment" else rng.randint(50, 1500),
                    "date": AS_OF - timedelta(days=rng.randint(1, 60)),
                    "memo": f"Transfer from {partner.ref}, no invoice reference",
                }
            )
    credit_notes = env["account.move"].create(refunds)
    credit_notes.action_post()
    payments = env["account.payment"].create(receipts)
    payments.action_post()
    misc = env["account.journal"].search([("type", "=", "general"), ("company_id", "=", company.id)], limit=1)
    equity = company.get_unaffected_earnings_account()
    opening_vals = []
    for partner in partners[::50]:
        amount = rng.randint(100, 3000)
        opening_vals.append(
            {
                "move_type": "entry",
                "journal_id": misc.id,
                "date": AS_OF - timedelta(days=200),
                "ref": "Opening balances imported from the previous system",
                "line_ids": [
                    Command.create(
                        {
                            "name": f"Opening balance of {partner.ref} (previous system)",
                            "partner_id": partner.id,
                            "account_id": partner.property_account_receivable_id.id,
                            "date_maturity": AS_OF - timedelta(days=rng.randint(1, 150)),
                            "debit": amount,
                            "credit": 0.0,
                        }
                    ),
                    Command.create(
                        {
                            "name": "Opening balance: counterpart",
                            "account_id": equity.id,
                            "debit": 0.0,
                            "credit": amount,
                        }
                    ),
                ],
            }
        )
    openings = env["account.move"].create(opening_vals)
    openings.action_post()
    env["ir.config_parameter"].set_param(CREDITS_MARKER, f"seed={args.seed}")
    env.cr.commit()
    print(
        f"  open credits: {len(credit_notes)} credit notes, {len(payments)} unmatched payments; "
        f"{len(openings)} opening-balance entries",
        flush=True,
    )


class Stages:
    def __init__(self, cr):
        self.cr = cr
        self.rows = []

    @contextmanager
    def stage(self, name):
        info = {}
        queries0, t0 = self.cr.sql_log_count, time.perf_counter()
        yield info
        elapsed = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.rows.append((name, elapsed, self.cr.sql_log_count - queries0, peak, info))
        print(f"  {name}: {elapsed:.2f} s", flush=True)

    def print_table(self, title):
        print(f"\n{title}")
        print(f"| {'stage':<34} | {'wall s':>8} | {'SQL queries':>11} | {'peak RSS MiB':>12} | records / notes")
        print(f"|{'-' * 36}|{'-' * 10}|{'-' * 13}|{'-' * 14}|{'-' * 40}")
        for name, elapsed, queries, peak, info in self.rows:
            notes = ", ".join(f"{k}={v}" for k, v in info.items())
            print(f"| {name:<34} | {elapsed:8.2f} | {queries:11d} | {peak:12.0f} | {notes}")


# What the web client reads when the wizard reopens with its lines: the list's first 40 rows and the totals.
LINE_FORM_SPEC = {
    "partner_id": {"fields": {"display_name": {}}},
    "last_notice_info": {},
    "selected_amount_overdue": {},
    "selected_amount_net": {},
    "disputed_note": {},
    "overdue_item_ids": {
        "fields": {
            "selected": {},
            "date": {},
            "date_maturity": {},
            "days_overdue": {},
            "amount_residual_currency": {},
            "amount_residual": {},
            "move_id": {"fields": {"display_name": {}}},
            "currency_id": {"fields": {}},
        },
    },
    "credit_item_ids": {"fields": {"move_id": {"fields": {"display_name": {}}}, "amount_residual_currency": {}}},
}

WIZARD_FORM_SPEC = {
    "state": {},
    "filters_applied": {},
    "amount_overdue": {},
    "amount_net": {},
    "line_count": {},
    "excluded_count": {},
    "line_ids": {
        "limit": 40,
        "fields": {
            "currency_id": {"fields": {}},
            "partner_id": {"fields": {"display_name": {}}},
            "invoice_names": {},
            "max_days_overdue": {},
            "amount_summary": {},
            "amount_overdue": {},
            "amount_credit": {},
            "amount_net": {},
            "recipient_ids": {"fields": {"display_name": {}}},
            "extra_emails": {},
            "to_print": {},
            "to_email": {},
            "delivery_note": {},
            "disputed_note": {},
            "last_notice_info": {},
        },
    },
    "excluded_line_ids": {
        "limit": 40,
        "fields": {
            "currency_id": {"fields": {}},
            "partner_id": {"fields": {"display_name": {}}},
            "exclusion_reason": {},
            "exclusion_detail": {},
            "amount_overdue": {},
            "amount_credit": {},
            "amount_net": {},
        },
    },
}


def seed_discipline(env, args):
    """Top-up (once per database, marked by DISCIPLINE_MARKER): about 3% of the customers on hold (half
    of them until a date after the as-of date), about 3% with one open invoice disputed."""
    rng = random.Random(args.seed * 2003 + 17)
    partners = env["res.partner"].search([("ref", "=like", "B%"), ("parent_id", "=", False)], order="ref")
    on_hold = disputed = env["res.partner"]
    for partner in partners:
        draw = rng.random()
        if draw < 0.03:
            on_hold |= partner
        elif draw < 0.06:
            disputed |= partner
    for index, partner in enumerate(on_hold):
        partner.write(
            {
                "dunning_hold": True,
                "dunning_hold_reason": "Payment plan agreed",
                "dunning_hold_until": AS_OF + timedelta(days=30) if index % 2 else False,
            }
        )
    invoices = env["account.move"].search(
        [
            ("partner_id", "in", disputed.ids),
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
        ],
        order="partner_id, invoice_date_due, id",
    )
    chosen = env["account.move"].concat(*(moves[0] for moves in invoices.grouped("partner_id").values()))
    chosen._dunning_set_dispute("Bench: quantity disputed")
    env["ir.config_parameter"].set_param(DISCIPLINE_MARKER, f"seed={args.seed}")
    env.cr.commit()
    print(f"  {len(on_hold)} customers on hold, {len(chosen)} invoices disputed", flush=True)


# the open overdue items of the bench's customers (refs B...) at the as-of date
BENCH_OVERDUE_DOMAIN = [
    ("account_type", "=", "asset_receivable"),
    ("parent_state", "=", "posted"),
    ("reconciled", "=", False),
    ("amount_residual", ">", 0),
    ("date_maturity", "<", AS_OF),
    ("partner_id.ref", "=like", "B%"),
]


def seed_earlier_notices(env):
    """Before each run (the previous run's notices are removed): every twentieth customer with overdue
    items was given a notice of the first level, 5 days (alternately 15 days) before the as-of date."""
    level = env.ref("dunning_notices.dunning_level_1")
    items = env["account.move.line"]._read_group(
        BENCH_OVERDUE_DOMAIN,
        ["partner_id"],
        ["id:min"],
        order="partner_id",
    )
    chosen = items[::20]
    notices = (
        env["dunning.notice"]
        .with_context(tracking_disable=True)
        .create(
            [
                {
                    "company_id": level.company_id.id,
                    "partner_id": partner.id,
                    "level_id": level.id,
                    "as_of_date": AS_OF - timedelta(days=5 if index % 2 else 15),
                    "date_basis": "due_date",
                    "report_id": level.report_id.id,
                    "mail_template_id": level.mail_template_id.id,
                    "to_print": True,
                    "move_line_ids_data": [item_id],
                }
                for index, (partner, item_id) in enumerate(chosen)
            ]
        )
    )
    for notice in notices:
        notice._write_state({"state": "done", "date_sent": notice.as_of_date})
    level.company_id.dunning_min_interval_days = MIN_INTERVAL_DAYS
    return notices


def seed_effectiveness_month(env, args):
    """A month of notices and the payments after them: each customer owing money gets a notice on a day of
    June (its overdue items then, at the default level of its oldest item), and for about 40% of the
    notices one item is paid in full 0 to 45 days after it (one payment each, matched to the item)."""
    from odoo import Command

    rng = random.Random(args.seed * 16 + 1)
    company = env.ref("base.main_company")
    levels = [env.ref(f"dunning_notices.dunning_level_{number}") for number in range(1, 5)]
    collectors = env["res.users"].search([("login", "in", ("bench_accountant", "admin"))])
    month_start = AS_OF.replace(day=1)
    items = env["account.move.line"].search_fetch(
        [*BENCH_OVERDUE_DOMAIN, ("company_id", "=", company.id)],
        ["partner_id", "date_maturity", "move_id", "currency_id", "amount_residual", "amount_residual_currency"],
    )
    line_model = env["dunning.notice.line"]
    notice_vals, paid = [], []
    for partner, partner_items in items.grouped("partner_id").items():
        date_sent = month_start + timedelta(days=rng.randrange(30))
        due_items = partner_items.filtered(lambda item, d=date_sent: item.date_maturity < d)
        if not due_items:
            continue
        days = [(date_sent - item.date_maturity).days for item in due_items]
        level = levels[min(3, sum(max(days) > bound for bound in (15, 30, 60)))]
        notice_vals.append(
            {
                "company_id": company.id,
                "partner_id": partner.id,
                "level_id": level.id,
                "sender_user_id": collectors[len(notice_vals) % len(collectors)].id,
                "as_of_date": date_sent,
                "date_sent": date_sent,
                "date_basis": "due_date",
                "report_id": level.report_id.id,
                "to_print": True,
                "state": "done",
                "move_line_ids_data": due_items.ids,
                "line_ids": [
                    Command.create(line_model._prepare_vals_from_move_line(item, day))
                    for item, day in zip(due_items, days, strict=True)
                ],
            }
        )
        in_company_currency = due_items.filtered(lambda item: item.currency_id == company.currency_id)
        if in_company_currency and rng.random() < 0.4:
            paid.append((in_company_currency[0], date_sent + timedelta(days=rng.randint(0, 45))))
    notices = env["dunning.notice"].with_context(tracking_disable=True).create(notice_vals)
    journal = env["account.journal"].search([("type", "=", "bank"), ("company_id", "=", company.id)], limit=1)
    payments = env["account.payment"].create(
        [
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": item.partner_id.id,
                "amount": item.amount_residual,
                "date": pay_date,
                "journal_id": journal.id,
            }
            for item, pay_date in paid
        ]
    )
    payments.action_post()
    plan = []
    for payment, (item, _date) in zip(payments, paid, strict=True):
        counterpart = payment.move_id.line_ids.filtered(lambda line: line.account_type == "asset_receivable")
        plan.append(counterpart | item)
    env["account.move.line"]._reconcile_plan(plan)
    env.flush_all()
    return notices, payments


EFFECTIVENESS_FIELDS = [
    "notice_id",
    "level_id",
    "partner_id",
    "user_id",
    "company_id",
    "date_sent",
    "currency_id",
    "amount_dunned",
    "cash_7d",
    "cash_30d",
    "cash_60d",
    "other_30d",
    "days_to_first_cash",
    "rate_30d",
]


def run_effectiveness(env, uenv, args, db):
    """Stages E1-E5 in one transaction, rolled back: the ledger stays the one of the other stages."""
    stages = Stages(env.cr)
    with stages.stage("E1. seed notices + payments") as info:
        notices, payments = seed_effectiveness_month(env, args)
        info["notices"] = len(notices)
        info["notice lines"] = len(notices.line_ids)
        info["payments"] = len(payments)
    uenv.invalidate_all()
    report = uenv["dunning.effectiveness.report"]
    with stages.stage("E2. pivot: levels x months") as info:
        groups = report.read_group(
            [], ["amount_dunned:sum", "cash_30d:sum", "rate_30d:sum"], ["level_id", "date_sent:month"], lazy=False
        )
        info["groups"] = len(groups)
        dunned = sum(group["amount_dunned"] for group in groups)
        cash = sum(group["cash_30d"] for group in groups)
        info["rate 30d"] = f"{cash / dunned:.1%}" if dunned else "-"
    with stages.stage("E2b. graph: rate by level") as info:
        groups = report.read_group([], ["rate_30d:sum"], ["level_id"])
        info["rates"] = " ".join(f"{group['rate_30d'] or 0:.1%}" for group in groups)
    uenv.invalidate_all()
    with stages.stage("E3. list: first 80 rows") as info:
        data = report.web_search_read([], {name: {} for name in EFFECTIVENESS_FIELDS}, limit=80)
        info["rows"] = data["length"]
    uenv.invalidate_all()
    with stages.stage("E3b. list: every row") as info:
        info["rows"] = len(report.search_fetch([], EFFECTIVENESS_FIELDS))
    uenv.invalidate_all()
    with stages.stage("E4. level form rates (12 months)") as info:
        levels = uenv["dunning.level"].search([])
        levels.mapped("collection_rate_30d")
        info["levels"] = len(levels)
    uenv.invalidate_all()
    with stages.stage("E5. a customer's history (its notices' cash)") as info:
        customer = notices[:1].partner_id
        history = uenv["dunning.notice"].search([("partner_id", "=", customer.id)])
        history.mapped("collected_cash_30d")
        info["notices"] = len(history)
    stages.print_table(f"{db}: effectiveness analysis ({args.customers} customers x {args.invoices} invoices)")
    env.cr.rollback()


def run_wizard(env, level, partners=None):
    wizard = env["dunning.notice.send"].create(
        {
            "level_id": level.id,
            "date_mode": "custom",
            "as_of_date": AS_OF,
            "partner_ids": [(6, 0, partners.ids)] if partners else [],
        }
    )
    wizard.action_apply_filters()
    return wizard


def compare_line_writes(env, stages, wizard):
    """Stage 1d: the wizard's lines written again from the same rows, three times each way, rolled back:
    ``_replace_lines`` (one INSERT of every line and its recipients) against the ORM's ``create``."""
    from odoo import Command

    from odoo.addons.dunning_notices.wizard.dunning_notice_send_line import LINE_COLUMNS

    lines = (wizard.line_ids | wizard.excluded_line_ids).sorted("sequence")
    fields = lines._fields

    def plain(name, value):  # a value as the selection gives it: ids, and None for an empty value
        if fields[name].type == "many2one":
            return value.id or None
        return value if value is not False or fields[name].type == "boolean" else None

    rows = [
        {**{name: plain(name, line[name]) for name in LINE_COLUMNS}, "recipient_ids": line.recipient_ids.ids}
        for line in lines
    ]
    model = env["dunning.notice.send.line"].with_context(tracking_disable=True)
    for attempt in range(3):
        for way in ("INSERT", "create"):
            env.cr.execute("SAVEPOINT lines_write")
            with stages.stage(f"1d. {len(rows)} lines by {way} ({attempt + 1})") as info:
                if way == "INSERT":
                    model._replace_lines(wizard, rows)
                else:
                    env.cr.execute("DELETE FROM dunning_notice_send_line WHERE wizard_id = %s", [wizard.id])
                    model.create(
                        [
                            {
                                **row,
                                "wizard_id": wizard.id,
                                "sequence": sequence,
                                "recipient_ids": [Command.set(row["recipient_ids"])],
                            }
                            for sequence, row in enumerate(rows)
                        ]
                    )
                    env.flush_all()
                info["recipients"] = sum(len(row["recipient_ids"]) for row in rows)
            env.cr.execute("ROLLBACK TO SAVEPOINT lines_write")
            env.invalidate_all()


def forget_notices(env, partners):
    """Set the earlier notices of ``partners`` aside (cancelled), so that a later stage of the bench
    may send them a notice of the same level and date again: the rules refuse duplicates."""
    env.flush_all()
    env.cr.execute(
        "UPDATE dunning_notice SET state = 'cancel' WHERE partner_id = ANY(%s) AND state != 'cancel'",
        [partners.ids],
    )
    env.invalidate_all()


def process_queue(env, batch_size):
    done = 0
    while True:
        batch = env["dunning.notice"]._cron_process_queue(batch_size=batch_size)
        env.cr.commit()  # what the cron runner does between two calls
        done += len(batch)
        if not batch:
            return done


def main():
    args = parse_args()
    # each submodule by name: 19.0's "odoo" is a namespace package, whose submodules are not its attributes
    import odoo
    import odoo.http
    import odoo.modules.registry
    import odoo.release
    import odoo.service.server
    import odoo.tools
    from odoo import api

    from odoo.addons.base.models.ir_actions_report import IrActionsReport

    odoo.tools.config.parse_config(["-c", args.config, "--log-level=warn", "--workers=0"])
    db, fresh = prepare_database(args, odoo)
    # wkhtmltopdf loads the report's stylesheets over HTTP: serve this database on a port of its own
    port = args.http_port
    odoo.tools.config.parse_config(
        ["-c", args.config, "--log-level=warn", "--workers=0", "-d", db, f"--db-filter=^{db}$", f"--http-port={port}"]
    )
    odoo.service.server.ThreadedServer(odoo.http.root).http_spawn()
    registry = odoo.modules.registry.Registry(db)
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        if fresh:
            print(f"seeding {db}...", flush=True)
            t0 = time.perf_counter()
            seed(env, args)
            print(f"  seeded in {time.perf_counter() - t0:.0f} s", flush=True)
        if not env["ir.config_parameter"].get_param(CREDITS_MARKER):
            print(f"adding open credits and opening balances to {db}...", flush=True)
            t0 = time.perf_counter()
            seed_credits(env, args)
            print(f"  added in {time.perf_counter() - t0:.0f} s", flush=True)
        if not env["ir.config_parameter"].get_param(DISCIPLINE_MARKER):
            print(f"adding holds and disputes to {db}...", flush=True)
            seed_discipline(env, args)
        accountant = env["res.users"].search([("login", "=", "bench_accountant")])
        for key in ("web.base.url", "report.url"):
            env["ir.config_parameter"].set_param(key, f"http://127.0.0.1:{port}")
        # Each run starts from no notice: the previous run's are removed (as superuser, bypassing the guard)
        previous = env["dunning.notice"].search([])
        env.cr.execute("DELETE FROM dunning_notice")
        env["mail.mail"].search([]).unlink()
        env.cr.commit()
        env.invalidate_all()
        report = env.ref("dunning_notices.action_report_dunning_notice")
        level = env["dunning.level"].create(
            {
                "name": "Bench: all overdue",
                "min_days_overdue": 1,
                "report_id": report.id,
                "mail_template_id": env.ref("dunning_notices.mail_template_dunning_level_1").id,
                "attach_notice_pdf": False,
            }
        )
        if args.charges != "none":
            level.write(
                {
                    "interest_scheme_id": env.ref("dunning_notices.interest_scheme_fr_l441_10").id,
                    "fee_fixed": 5.0,
                    "fee_compensation": True,
                    "charge_posting": "invoice" if args.charges == "invoiced" else "none",
                }
            )
        earlier = seed_earlier_notices(env)
        env.cr.commit()
        invoices = env["account.move"].search_count([("move_type", "=", "out_invoice"), ("state", "=", "posted")])
        open_credits = env["account.move.line"].search_count(
            [("account_type", "=", "asset_receivable"), ("parent_state", "=", "posted"), ("amount_residual", "<", 0)]
        )
        print(
            f"{db}: {args.customers} customers, {invoices} posted invoices, {open_credits} open credit items; "
            f"{len(previous)} old notices removed, {len(earlier)} earlier notices made; "
            f"minimum interval {MIN_INTERVAL_DAYS} days; charges: {args.charges}"
        )

        uenv = api.Environment(cr, accountant.id, {"lang": "en_US", "tz": "UTC"})
        if args.effectiveness:
            run_effectiveness(env, uenv, args, db)
            return
        stages = Stages(cr)
        with stages.stage("1. apply filters") as info:
            wizard = run_wizard(uenv, level)
        env.cr.commit()
        env.invalidate_all()
        with stages.stage("1b. show the list (form web_read)") as info_read:
            data = wizard.web_read(WIZARD_FORM_SPEC)[0]
            info_read["lines read"] = sum(1 for line in data["line_ids"] + data["excluded_line_ids"] if len(line) > 1)
            info_read["total"] = f"{data['amount_net']:.2f}"
        with stages.stage("1c. open a customer's items") as info_items:
            line = wizard.line_ids.sorted(lambda line: -len(line.move_line_ids_data or []))[0]
            line.action_open_items()
            data = line.web_read(LINE_FORM_SPEC)[0]
            info_items["items"] = len(data["overdue_item_ids"]) + len(data["credit_item_ids"])
        env.cr.commit()
        info["customers"] = len(wizard.line_ids)
        reasons = Counter(wizard.excluded_line_ids.mapped("exclusion_reason"))
        info["left out"] = len(wizard.excluded_line_ids)
        info["by reason"] = " ".join(f"{reason}:{count}" for reason, count in sorted(reasons.items())) or "-"
        all_lines = wizard.line_ids | wizard.excluded_line_ids
        info["overdue items"] = sum(len(ids or ()) for ids in all_lines.mapped("move_line_ids_data"))
        info["credit items"] = sum(len(ids or ()) for ids in all_lines.mapped("credit_move_line_ids_data"))
        info["netted customers"] = len(wizard.line_ids.filtered("amount_credit"))
        if args.lines_orm:
            compare_line_writes(env, stages, wizard)
        if args.apply_only:
            stages.print_table(f"{db} ({args.customers} customers x {args.invoices} invoices, as of {AS_OF})")
            return
        emailed = wizard.line_ids.filtered("recipient_ids")
        emailed.write({"to_email": True, "to_print": False})
        (wizard.line_ids - emailed).write({"to_email": False, "to_print": False})
        env.cr.commit()
        with stages.stage("2. send: create notices") as info:
            wizard.action_send()
            notices = wizard.notice_ids
            info["notices"] = len(notices)
        env.cr.commit()
        with stages.stage("3. queue: email, no PDF") as info:
            # DUNNING_BENCH_PROFILE=<file>: the stage's cProfile statistics (python3 -m pstats <file>)
            profiler = cProfile.Profile() if os.environ.get("DUNNING_BENCH_PROFILE") else None
            if profiler:
                profiler.enable()
            done = process_queue(uenv, args.batch_size)
            if profiler:
                profiler.disable()
                profiler.dump_stats(os.environ["DUNNING_BENCH_PROFILE"])
            info["notices"] = done
            info["mail.mail"] = env["mail.mail"].search_count([])
        elapsed, queries = stages.rows[-1][1], stages.rows[-1][2]
        stages.rows[-1][4]["notices/s"] = f"{done / elapsed:.1f}" if elapsed else "-"
        stages.rows[-1][4]["queries/notice"] = f"{queries / max(done, 1):.1f}"
        # a notice's items and credits are read again when it is processed: its lines are written then
        notices.invalidate_recordset()
        line_types = Counter(notices.line_ids.mapped("line_type"))
        stages.rows[-1][4]["notice lines"] = f"{line_types['overdue']} overdue + {line_types['credit']} credit"
        states = Counter(notices.mapped("state"))
        stages.rows[-1][4]["states"] = " ".join(f"{state}:{count}" for state, count in sorted(states.items()))

        if args.pdf_notices:
            level.attach_notice_pdf = True
            partners = wizard.line_ids.filtered("recipient_ids").partner_id[: args.pdf_notices]
            forget_notices(env, partners)
            pdf_wizard = run_wizard(uenv, level, partners)
            pdf_wizard.line_ids.write({"to_email": True, "to_print": True})
            env.cr.commit()
            intervals = []  # (start, end) of each wkhtmltopdf call, from any thread
            original = IrActionsReport._run_wkhtmltopdf

            def timed(self, *a, **kw):
                t0 = time.perf_counter()
                try:
                    return original(self, *a, **kw)
                finally:
                    intervals.append((t0, time.perf_counter()))

            IrActionsReport._run_wkhtmltopdf = timed
            try:
                with stages.stage("4. send + queue: email + PDF") as info:
                    pdf_wizard.action_send()  # a run of up to 20 notices is processed right here
                    env.cr.commit()
                    done = len(pdf_wizard.notice_ids.filtered(lambda n: n.state == "done"))
                    done += process_queue(uenv, args.batch_size)
                    info["notices"] = done
                elapsed = stages.rows[-1][1]
                busy = sum(end - start for start, end in intervals)
                covered, last_end = 0.0, 0.0  # wall time during which at least one wkhtmltopdf ran
                for start, end in sorted(intervals):
                    covered += max(0.0, end - max(start, last_end))
                    last_end = max(last_end, end)
                info["notices/s"] = f"{done / elapsed:.2f}"
                info["wkhtmltopdf calls"] = len(intervals)
                info["wkhtmltopdf busy s"] = f"{busy:.1f}"
                info["parallelism"] = f"{busy / covered:.2f}" if covered else "-"
                info["wall outside wkhtmltopdf"] = f"{(elapsed - covered) / elapsed:.0%}"
            finally:
                IrActionsReport._run_wkhtmltopdf = original
            printed = pdf_wizard.notice_ids
            with stages.stage("5. print them all (stored PDFs)") as info:
                content, _type = report.with_user(accountant)._render_qweb_pdf(report, printed.ids)
                info["notices"] = len(printed)
                info["PDF KiB"] = len(content) // 1024
        if args.invoice_notices:
            level.attach_notice_pdf = False
            partners = wizard.line_ids.filtered("recipient_ids").partner_id[-args.invoice_notices :]
            forget_notices(env, partners)
            invoice_wizard = run_wizard(uenv, level, partners)
            invoice_wizard.write({"attach_invoices": True})
            invoice_wizard.line_ids.write({"to_email": True, "to_print": False})
            env.cr.commit()
            with stages.stage("6. send + queue: invoice PDFs") as info:
                invoice_wizard.action_send()
                env.cr.commit()
                process_queue(uenv, args.batch_size)
            notices = invoice_wizard.notice_ids
            invoices = len(notices.invoice_attachment_ids)
            elapsed = stages.rows[-1][1]
            info["notices"] = len(notices.filtered(lambda n: n.state == "done"))
            info["invoice PDFs"] = invoices
            info["invoice PDFs/s"] = f"{invoices / elapsed:.2f}"
        env.cr.commit()
        stages.print_table(f"{db} ({args.customers} customers x {args.invoices} invoices, as of {AS_OF})")


if __name__ == "__main__":
    main()
