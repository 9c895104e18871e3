"""Screenshots of the addon, in English and French, for the README: ``./dev screenshots``.

Run by ``./dev screenshots`` with the system Python (which imports Odoo) on a demo database that ``dev``
created or updated. It starts Odoo on a free port (no cron: queued notices stay queued), adds what the
shots need to the database once (a run of notices, a queued and a failed notice), then runs itself again
with the Python of ``.local/pw`` (Playwright driving Debian's Chromium) to log in as admin and save the
PNGs under ``docs/screenshots/<lang>/``.

To add a shot, add an entry to ``SHOTS``: ``url`` (formatted with the ids ``prepare`` returns), ``wait``
(a CSS selector shown once the view is loaded), optional ``clicks`` (selectors clicked in order, each
followed by ``wait_after``), or ``pdf`` (a report URL, its first page, or ``page``, saved as an image).
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
LANGS = ("en_US", "fr_FR")
VIEWPORT = {"width": 1440, "height": 900}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# SHOTS_ONLY=levels,menus ./dev screenshots: those shots only (a changed screen, without the others' minutes)
ONLY = set(filter(None, os.environ.get("SHOTS_ONLY", "").split(",")))
PREPARED_PARAM = "dunning_notices.screenshots_prepared"
# the customers that fill the wizard's list, and a run saved for review (added to older screenshot databases)
PREPARED_RUN_PARAM = "dunning_notices.screenshots_run_prepared"
PREPARED_CHARGES_PARAM = "dunning_notices.screenshots_charges_prepared"
PREPARED_PORTAL_PARAM = "dunning_notices.screenshots_portal_prepared"
MORE_CUSTOMERS = [
    ("Atlas Freight", 45, 1250.0), ("Beacon Dental", 12, 380.0), ("Cobalt Studios", 20, 2400.0),
    ("Delta Orchards", 33, 615.5), ("Evergreen Florists", 8, 145.0), ("Falcon Logistics", 65, 4890.0),
    ("Granite Builders", 27, 3120.0), ("Harbor Cafe", 5, 96.4), ("Ivory Print Shop", 18, 730.0),
    ("Juniper Clinics", 41, 1980.0), ("Keystone Legal", 14, 2250.0), ("Lumen Opticians", 9, 310.0),
]  # fmt: skip

SHOTS = [
    {
        "name": "levels",
        "url": "/odoo/action-dunning_notices.dunning_level_action",
        "wait": ".o_list_renderer .o_data_row",
    },
    {
        "name": "wizard_filters",
        "url": "/odoo/action-dunning_notices.dunning_notice_send_action",
        "wait": ".modal button[name='action_apply_filters']",
    },
    {
        "name": "wizard_apply_filters",
        "url": "/odoo/action-dunning_notices.dunning_notice_send_action",
        "wait": ".modal button[name='action_apply_filters']",
        "clicks": ["button[name='action_apply_filters']"],
        "wait_after": ".modal .o_data_row",
    },
    {
        "name": "wizard_left_out",  # the customers found but left out, and why
        "url": "/odoo/action-dunning_notices.dunning_notice_send_action",
        "wait": ".modal button[name='action_apply_filters']",
        "clicks": ["button[name='action_apply_filters']", ".modal .o_notebook_headers .nav-item:nth-child(2) a"],
        "wait_after": ".modal .o_data_row",
    },
    {
        "name": "menus",  # Customers > Dunning
        "url": "/odoo/action-dunning_notices.dunning_notice_action",
        "wait": ".o_list_renderer .o_data_row",
        "clicks": [".o_main_navbar [data-menu-xmlid='account.menu_finance_receivables']"],
        "wait_after": ".o-dropdown--menu .dropdown-header",
    },
    {
        "name": "letters_to_print",  # Customers > Dunning > Letters to Print: the letters not yet printed
        "url": "/odoo/action-dunning_notices.dunning_notice_action_to_print",
        "wait": ".o_list_renderer .o_data_row",
    },
    {
        "name": "invoice_last_dunning",
        "url": "/odoo/action-account.action_move_out_invoice_type/{invoice_id}",
        "wait": ".o_form_view div[name='last_dunning']",
    },
    {
        "name": "notices",
        "url": "/odoo/action-dunning_notices.dunning_notice_action",
        "wait": ".o_list_renderer .o_data_row",
    },
    {
        "name": "effectiveness_pivot",
        "url": "/odoo/action-dunning_notices.dunning_effectiveness_report_action",
        "wait": ".o_pivot table tbody tr .o_pivot_cell_value",
    },
    {
        "name": "effectiveness_graph",
        "url": "/odoo/action-dunning_notices.dunning_effectiveness_report_action",
        "wait": ".o_pivot table tbody tr .o_pivot_cell_value",
        "clicks": [".o_switch_view.o_graph"],
        "wait_after": ".o_graph_renderer canvas",
    },
    {
        "name": "customer_dunning_history",  # a customer of the demo's history: its notices, the cash after each
        "url": "/odoo/action-account.res_partner_action_customer/{history_customer_id}",
        "wait": ".o_form_view button[name='action_view_dunning_notices']",
        "clicks": ["button[name='action_view_dunning_notices']"],
        "wait_after": ".o_list_renderer .o_data_row",
    },
    {
        "name": "level_effectiveness",
        "url": "/odoo/action-dunning_notices.dunning_level_action/{level_id}",
        "wait": ".o_form_view div[name='collection_rate_30d']",
    },
    {
        "name": "run_review",
        "url": "/odoo/action-dunning_notices.dunning_run_action/{run_id}",
        "wait": ".o_form_view .o_notebook .o_data_row",
    },
    {
        "name": "customer_history",
        "url": "/odoo/action-account.res_partner_action_customer/{customer_id}",
        "wait": ".o_form_view .o-mail-Message",
    },
    {
        "name": "notice_pdf_charges",
        # a French business reminded with the French legal interest, the EUR 40 and a fee, and a QR code
        "pdf": "/report/pdf/dunning_notices.report_dunning_notice/{notice_charges_id}",
    },
    {
        "name": "customer_page",
        # the notice's page as its customer sees it, logged out with the link of its letter (in the
        # customer's language): an invoice in dispute, Pay All with payment_demo's provider, the bank details
        "url": "/my/dunning/{notice_id_%(lang)s}?access_token={notice_token_%(lang)s}",
        "wait": ".o_dunning_portal_items",
        "full_page": True,
        "public": True,
    },
    {
        "name": "notice_pdf",
        # the notice of a customer speaking the pass's language: a notice is printed in its customer's
        "pdf": "/report/pdf/dunning_notices.report_dunning_notice/{notice_id_%(lang)s}",
    },
]


# -----------------------------------------------------------------------------
# Server side (system Python, with Odoo)
# -----------------------------------------------------------------------------


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(config, db, port, log_path):
    command = [
        sys.executable, "-m", "odoo", "-c", config, "-d", db, f"--db-filter=^{db}$",
        f"--http-port={port}", "--http-interface=127.0.0.1", "--max-cron-threads=0", "--workers=0",
    ]  # fmt: skip
    # its log and what it prints (the warning of running as root, said once by ./dev) go to the log file
    with open(log_path, "ab") as log:
        server = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"screenshots: Odoo stopped at start, see {log_path}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/web/health", timeout=5):
                return server
        except OSError:
            time.sleep(1)
    server.terminate()
    sys.exit(f"screenshots: Odoo did not answer on port {port} within 2 minutes, see {log_path}")


def prepare(config, db, base_url, log_path):
    """What the shots show, added once: a run of notices sent today to every other customer (some printed,
    some emailed, left in the mail queue), then a queued notice and one that failed, as of yesterday.
    Returns the ids the shots' URLs use."""
    import odoo  # the system Python has Odoo, the Playwright virtualenv does not
    from odoo import SUPERUSER_ID, api
    from odoo.exceptions import UserError

    odoo.tools.config.parse_config(["-c", config, f"--logfile={log_path}", "--log-level=warn"])
    registry = odoo.modules.registry.Registry(db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        params = env["ir.config_parameter"]
        admin = env.ref("base.user_admin")
        if not params.get_param(PREPARED_PARAM):
            # the PDFs' stylesheets come from the server (its rendering threads read it committed)
            params.set_param("report.url", base_url)
            cr.commit()
            env = env(user=admin, context={"lang": "en_US", "tz": admin.tz})
            wizard = env["dunning.notice.send"].create({})
            wizard.action_apply_filters()
            # every other customer: the others are left for the wizard's shot
            wizard.line_ids[1::2].write({"to_print": False, "to_email": False})
            wizard.action_send()
            # what the queue's cron does in the background (this server runs no cron): the letters rendered,
            # the emails left in the mail queue
            while env["dunning.notice"].sudo()._cron_process_queue():
                cr.commit()
            notices = wizard.notice_ids.filtered(lambda notice: notice.state == "done")
            yesterday = notices[0].as_of_date - timedelta(days=1)
            queued, failed = (
                notice.sudo().copy(
                    {
                        "as_of_date": yesterday,
                        "move_line_ids_data": notice.move_line_ids_data,
                        "credit_move_line_ids_data": notice.credit_move_line_ids_data,
                    }
                )
                for notice in notices[:2]
            )
            # what the queue writes when the customer has no address to email
            failed._set_error(UserError(env._("Notice %(name)s has no recipient to email.", name=failed.name)))
            params.set_param("report.url", False)
            params.set_param(PREPARED_PARAM, queued.id)
            cr.commit()
        if not params.get_param(PREPARED_RUN_PARAM):
            env = env(user=admin, context={"lang": "en_US", "tz": admin.tz})
            prepare_run(env)
            params.set_param(PREPARED_RUN_PARAM, "1")
            cr.commit()
        if not params.get_param(PREPARED_CHARGES_PARAM):
            params.set_param("report.url", base_url)
            cr.commit()
            env = env(user=admin, context={"lang": "en_US", "tz": admin.tz})
            params.set_param(PREPARED_CHARGES_PARAM, prepare_charges(env))
            params.set_param("report.url", False)
            cr.commit()
        done = env["dunning.notice"].search([("state", "=", "done"), ("pdf_attachment_id", "!=", False)], order="id")
        ids = {"invoice_id": done[:1].line_ids[:1].move_id.id, "customer_id": done[:1].partner_id.id}
        ids["notice_charges_id"] = int(params.get_param(PREPARED_CHARGES_PARAM))
        ids["level_id"] = env.ref("dunning_notices.dunning_level_1").id
        ids["history_customer_id"] = env["res.partner"].search([("name", "=", "Northwind Traders")], limit=1).id
        ids["run_id"] = env["dunning.run"].search([("state", "=", "draft")], order="id desc", limit=1).id
        for lang in LANGS:
            notice = done.filtered(lambda n, lang=lang: n.partner_id.lang == lang)[:1] or done[:1]
            ids[f"notice_id_{lang}"] = notice.id
            ids[f"notice_token_{lang}"] = notice.sudo()._portal_ensure_token()
        if not params.get_param(PREPARED_PORTAL_PARAM):
            prepare_portal(env, env["dunning.notice"].browse({ids[f"notice_id_{lang}"] for lang in LANGS}))
            params.set_param(PREPARED_PORTAL_PARAM, "1")
            cr.commit()
        return ids


def prepare_portal(env, notices):
    """The customer's page: payment_demo's provider on (Pay All), the company's bank account, and the last
    invoice of each notice shown disputed by its customer."""
    provider = env.ref("payment.payment_provider_demo", raise_if_not_found=False)
    if provider:
        provider.sudo().write({"state": "test", "is_published": True})
    company = notices[:1].company_id
    if not company.partner_id.bank_ids:
        env["res.partner.bank"].sudo().create({"partner_id": company.partner_id.id, "acc_number": "BE71096123456769"})
    for notice in notices:
        items = [item for item in notice._get_portal_items() if item["can_dispute"]]
        if len({item["move"] for item in items}) > 1:
            notice._portal_dispute(items[-1]["move"].id, "Delivered twice: see our delivery note.")


def prepare_run(env):
    """Twelve more customers owing money (the wizard's list then fills its screen) and a run of the first
    level saved for review, one customer left out by the reviewer."""
    from odoo import Command, fields

    today = fields.Date.context_today(env.user)
    customers = env["res.partner"].create(
        [
            {"name": name, "is_company": True, "email": f"accounts@{name.split()[0].lower()}.example.com"}
            for name, _days, _amount in MORE_CUSTOMERS
        ]
    )
    invoices = env["account.move"].create(
        [
            {
                "move_type": "out_invoice",
                "partner_id": customer.id,
                "invoice_date": today - timedelta(days=days + 30),
                "invoice_date_due": today - timedelta(days=days),
                "invoice_line_ids": [
                    Command.create({"name": "Services", "quantity": 1, "price_unit": amount, "tax_ids": []})
                ],
            }
            for customer, (_name, days, amount) in zip(customers, MORE_CUSTOMERS, strict=True)
        ]
    )
    invoices.action_post()
    level = env["dunning.level"].search([("company_id", "=", env.company.id)], limit=1)
    wizard = env["dunning.notice.send"].create({"level_id": level.id})
    wizard.action_apply_filters()
    wizard.action_save_for_review()
    wizard.notice_ids[-1:].action_review_leave_out()


def prepare_charges(env):
    """A notice with interest, fees and a QR code: the Formal Notice level charges the French legal
    interest, the EUR 40 and a fee of 15.00; the company shows QR codes and has an IBAN; a French
    business owes an invoice in EUR due 45 days ago. Returns the notice's id."""
    from odoo import Command, fields

    today = fields.Date.context_today(env.user)
    company = env.company
    eur = env.ref("base.EUR")
    eur.active = True
    rates = env["res.currency.rate"]
    if not rates.search_count([("currency_id", "=", eur.id), ("company_id", "in", [company.id, False])]):
        rates.create({"currency_id": eur.id, "name": today.replace(day=1), "rate": 0.92})
    company.qr_code = True
    if not company.partner_id.bank_ids.filtered(lambda bank: bank.acc_type == "iban"):
        env["res.partner.bank"].create(
            {"acc_number": "FR76 3000 6000 0112 3456 7890 189", "partner_id": company.partner_id.id}
        )
    level = env.ref("dunning_notices.dunning_level_3")
    level.write(
        {
            "interest_scheme_id": env.ref("dunning_notices.interest_scheme_fr_l441_10").id,
            "fee_compensation": True,
            "fee_fixed": 15.0,
        }
    )
    customer = env["res.partner"].create(
        {
            "name": "Maison Lefèvre SARL",
            "is_company": True,
            "lang": "fr_FR",
            "email": "compta@maison-lefevre.example.com",
            "street": "4 place Bellecour",
            "zip": "69002",
            "city": "Lyon",
            "country_id": env.ref("base.fr").id,
        }
    )
    invoice = env["account.move"].create(
        {
            "move_type": "out_invoice",
            "partner_id": customer.id,
            "currency_id": eur.id,
            "invoice_date": today - timedelta(days=75),
            "invoice_date_due": today - timedelta(days=45),
            "invoice_line_ids": [
                Command.create({"name": "Consulting", "quantity": 1, "price_unit": 4800, "tax_ids": []})
            ],
        }
    )
    invoice.action_post()
    # reminded before at the two levels before (the levels follow one another), delivered
    item = invoice.line_ids.filtered(lambda line: line.account_type == "asset_receivable")
    for previous, days_ago in (
        (env.ref("dunning_notices.dunning_level_1"), 40),
        (env.ref("dunning_notices.dunning_level_2"), 20),
    ):
        sent = today - timedelta(days=days_ago)
        env["dunning.notice"].sudo().create(  # notices are server-written
            {
                "company_id": company.id,
                "partner_id": customer.id,
                "level_id": previous.id,
                "sender_user_id": env.user.id,
                "as_of_date": sent,
                "date_sent": sent,
                "date_basis": "due_date",
                "report_id": previous.report_id.id,
                "to_print": True,
                "state": "done",
                "date_printed": fields.Datetime.to_datetime(sent),
                "move_line_ids_data": item.ids,
                "line_ids": [
                    Command.create(env["dunning.notice.line"]._prepare_vals_from_move_line(item, 45 - days_ago))
                ],
            }
        )
    env.cr.commit()  # the settings as a user finds them: committed (the PDF threads read committed data)
    wizard = env["dunning.notice.send"].create({"level_id": level.id, "partner_ids": [Command.set(customer.ids)]})
    wizard.action_apply_filters()
    wizard.line_ids.write({"to_print": True, "to_email": False})
    wizard.action_send()
    return wizard.notice_ids.id


def main_server(args):
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = Path(tempfile.gettempdir()) / f"dunning-screenshots-{args.db}.log"
    print(f"==> screenshots: Odoo on {base_url} (database {args.db}, log {log_path})", flush=True)
    server = start_server(args.config, args.db, port, log_path)
    try:
        ids = prepare(args.config, args.db, base_url, log_path)
        command = [args.playwright_python, __file__, "browse", "--url", base_url, "--ids", json.dumps(ids)]
        subprocess.run(command, check=True)
    finally:
        server.terminate()
        server.wait(timeout=60)


# -----------------------------------------------------------------------------
# Browser side (Python of .local/pw, with Playwright)
# -----------------------------------------------------------------------------


def rpc(page, base_url, model, method, *args):
    payload = {
        "jsonrpc": "2.0",
        "method": "call",
        "params": {"model": model, "method": method, "args": list(args), "kwargs": {}},
    }
    response = page.request.post(f"{base_url}/web/dataset/call_kw/{model}/{method}", data=payload)
    result = response.json()
    if "error" in result:
        raise RuntimeError(result["error"]["data"]["message"])
    return result["result"]


def take(page, base_url, shot, ids, lang, out):
    path = out / f"{shot['name']}.png"
    if "pdf" in shot:
        response = page.request.get(base_url + (shot["pdf"] % {"lang": lang}).format(**ids))
        if not response.ok or response.headers.get("content-type") != "application/pdf":
            raise RuntimeError(f"{shot['name']}: no PDF ({response.status})")
        page = str(shot.get("page", 1))
        with tempfile.TemporaryDirectory() as tmp:
            pdf = Path(tmp) / "notice.pdf"
            pdf.write_bytes(response.body())
            subprocess.run(
                ["pdftoppm", "-png", "-r", "80", "-f", page, "-l", page, "-singlefile", pdf, path.with_suffix("")],
                check=True,
            )
        return path
    if shot.get("public"):  # a visitor's page: a browser context of its own, logged out
        context = page.context.browser.new_context(viewport=VIEWPORT)
        try:
            return take(context.new_page(), base_url, {**shot, "public": False}, ids, lang, out)
        finally:
            context.close()
    page.goto(base_url + (shot["url"] % {"lang": lang}).format(**ids))
    try:
        page.wait_for_selector(shot["wait"])
        for selector in shot.get("clicks", []):
            page.click(selector)
            page.wait_for_selector(shot["wait_after"])
    except Exception:
        failed = Path(tempfile.gettempdir()) / f"screenshot-failed-{shot['name']}.png"
        page.screenshot(path=failed)
        print(f"    {shot['name']}: the page as it was, in {failed}", flush=True)
        raise
    # no focus ring nor tooltip left by the clicks
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.mouse.move(0, VIEWPORT["height"] - 1)
    page.wait_for_timeout(1000)  # the last reads and the views' animations (the bus keeps the network busy)
    page.screenshot(path=path, full_page=shot.get("full_page", False))
    return path


def main_browse(args):
    from playwright.sync_api import sync_playwright  # only in the Playwright virtualenv

    ids = json.loads(args.ids)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(f"{args.url}/web/login")
        page.fill("input[name='login']", "admin")
        page.fill("input[name='password']", "admin")
        page.click("button[type='submit']")
        page.wait_for_url("**/odoo**")
        [uid] = rpc(page, args.url, "res.users", "search", [["login", "=", "admin"]])
        try:
            for lang in LANGS:
                rpc(page, args.url, "res.users", "write", [uid], {"lang": lang})
                out = OUT / lang.split("_")[0]
                out.mkdir(parents=True, exist_ok=True)
                for shot in SHOTS:
                    if ONLY and shot["name"] not in ONLY:
                        continue
                    print(f"    {take(page, args.url, shot, ids, lang, out).relative_to(ROOT)}", flush=True)
        finally:
            rpc(page, args.url, "res.users", "write", [uid], {"lang": "en_US"})
            browser.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    server = sub.add_parser("run", help="start Odoo, prepare the database, take the shots")
    server.add_argument("--config", required=True)
    server.add_argument("--db", required=True)
    server.add_argument("--playwright-python", required=True)
    browse = sub.add_parser("browse", help="take the shots from a running server (Playwright's Python)")
    browse.add_argument("--url", required=True)
    browse.add_argument("--ids", required=True)
    args = parser.parse_args()
    if args.command == "run":
        if not shutil.which("pdftoppm"):
            sys.exit("screenshots: pdftoppm is missing (poppler-utils: ./dev setup)")
        main_server(args)
    else:
        main_browse(args)


if __name__ == "__main__":
    main()
