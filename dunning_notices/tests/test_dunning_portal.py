import json
import re
from datetime import date, timedelta
from unittest.mock import patch

from odoo import Command
from odoo.tests import new_test_user, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from odoo.addons.account_payment.tests.common import AccountPaymentCommon
from odoo.addons.payment.tests.http_common import PaymentHttpCommon

from .common import DunningTestCommon

TODAY = date.today()
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def days_ago(days):
    return TODAY - timedelta(days=days)


@tagged("post_install", "-at_install")
class TestDunningPortal(DunningTestCommon, AccountPaymentCommon, PaymentHttpCommon):
    """Issue 27: the customer's page of a notice, opened from its email or letter: what is due now, Pay All,
    dispute an invoice, promise a date; who may open it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.level_all = cls._create_level_all()
        cls.sender = new_test_user(
            cls.env,
            login="portal_sender",
            groups="base.group_user,account.group_account_invoice",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
            email="sender@company.example.com",
        )
        cls.company.dunning_sender_user_id = cls.sender
        cls.inv_1 = cls._invoice(cls.alpha, days_ago(60), 700, due=days_ago(40))
        cls.inv_2 = cls._invoice(cls.alpha, days_ago(50), 300, due=days_ago(20))
        cls.inv_3 = cls._invoice(cls.alpha, days_ago(45), 200, due=days_ago(15))
        cls.beta_inv = cls._invoice(cls.beta, days_ago(50), 900, due=days_ago(20))

    def _notice(self, partner=None):
        notices, mails = self._send_to(partner or self.alpha, self.level_all, as_of_date=TODAY, email=True)
        self.assertEqual(notices.state, "done")
        return notices, mails

    def _page(self, notice, token=None, **params):
        query = "&".join(f"{key}={value}" for key, value in params.items())
        token = notice.access_token if token is None else token
        return self.url_open(f"/my/dunning/{notice.id}?access_token={token}&{query}")

    def _pay_all(self, notice, **values):
        """Pay All's transaction route, as the payment form calls it: the transaction."""
        values = {
            "provider_id": self.provider.id,
            "payment_method_id": self.payment_method_id,
            "token_id": None,
            "amount": 1.0,  # what the browser says is never what is paid
            "flow": "direct",
            "tokenization_requested": False,
            "landing_route": "/elsewhere",
            "access_token": notice.access_token,
            **values,
        }
        with mute_logger("odoo.addons.payment.models.payment_transaction"):
            processing = self._get_processing_values(
                tx_route=f"/my/dunning/{notice.id}/transaction/{self.currency.id}", **values
            )
        return self._get_tx(processing["reference"])

    def _post(self, notice, action, data, files=None, token=None):
        page = self._page(notice, token=token)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        data = {"csrf_token": csrf, "access_token": notice.access_token if token is None else token, **data}
        return self.url_open(f"/my/dunning/{notice.id}/{action}", data=data, files=files)

    # -------------------------------------------------------------------------
    # The link
    # -------------------------------------------------------------------------

    def test_email_and_letter_link_to_the_notices_page(self):
        notice, mails = self._notice()
        self.assertTrue(notice.access_token)
        self.assertEqual(notice.access_token_date, TODAY)
        link = notice._get_portal_link()
        self.assertTrue(link.endswith(f"/my/dunning/{notice.id}?access_token={notice.access_token}"))
        self.assertIn(f'href="{link}"', mails.body_html)
        self.assertIn("View the reminder online", mails.body_html)
        report = self.env.ref("dunning_notices.action_report_dunning_notice")
        html = report._render_qweb_html(report, notice.ids)[0].decode()
        self.assertIn(link, html)
        self.assertIn('name="portal_link"', html)
        self.assertIn("data:image/png;base64,", html)

    def test_page_shows_what_is_due_now_and_counts_the_customers_views(self):
        notice, _mails = self._notice()
        self._pay(self.inv_1, 700, TODAY)  # paid
        self._pay(self.inv_2, 100, TODAY)  # 200 left
        self.env.flush_all()
        response = self._page(notice)
        self.assertEqual(response.status_code, 200)
        text = response.text
        for name in (self.inv_1.name, self.inv_2.name, self.inv_3.name, notice.name):
            self.assertIn(name, text)
        self.assertIn("Paid", text)
        self.assertIn("Partly paid", text)
        items = {item["move"]: item for item in notice._get_portal_items()}
        self.assertEqual(
            [items[m]["status"] for m in (self.inv_1, self.inv_2, self.inv_3)], ["paid", "partial", "open"]
        )
        self.assertEqual(notice._get_portal_payable()[self.currency][1], 400.0)  # 200 + 200
        self.assertIn("$\xa0400.00", text)
        # the visitor's view is recorded; an accountant's is not
        self.assertTrue(notice.portal_viewed)
        first = notice.portal_first_view
        self.assertTrue(first and notice.portal_last_view)
        other, _mails = self._notice(self.beta)
        self.authenticate(self.accountant.login, self.accountant.login)
        self.assertEqual(self.url_open(f"/my/dunning/{other.id}").status_code, 200)
        self.assertFalse(other.portal_viewed)

    def test_open_credits_are_deducted_as_the_letter_deducted_them(self):
        self._credit_note(self.alpha, days_ago(5), 150)
        notice, _mails = self._notice()
        self.assertEqual(notice.credit_handling, "net")
        self.assertEqual(notice._get_portal_credits(), {self.currency: -150.0})
        self.assertEqual(notice._get_portal_payable()[self.currency][1], 1050.0)  # 1200 - 150
        text = self._page(notice).text
        self.assertIn("Credits deducted", text)
        self.assertIn("$\xa0-\ufeff150.00", text)
        self.assertIn("$\xa01,050.00", text)
        # Pay All pays the net, and the payment matches the credit note with the invoices
        transaction = self._pay_all(notice)
        self.assertEqual(transaction.amount, 1050.0)
        credit_note = notice._get_credit_lines().move_id
        self.assertIn(credit_note, transaction.invoice_ids)
        transaction._set_done()
        transaction._post_process()
        for move in self.inv_1 | self.inv_2 | self.inv_3 | credit_note:
            self.assertIn(move.payment_state, ("in_payment", "paid", "reversed"), move.name)

    def test_the_page_speaks_the_customers_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["dunning_notices"], ["fr_FR"], overwrite=True)
        self.beta.lang = "fr_FR"
        notice, _mails = self._notice(self.beta)
        text = self._page(notice).text
        for french in ("Lettre de relance", "Dû aujourd", "Besoin de quelques jours", "Une facture est erronée"):
            self.assertIn(french, text)
        self.assertNotIn("Need a few days", text)

    @mute_logger("odoo.http")
    def test_forged_borrowed_or_expired_links_open_nothing(self):
        notice, _mails = self._notice()
        other, _mails = self._notice(self.beta)
        token = notice.access_token
        for url in (
            f"/my/dunning/{notice.id}?access_token={token[:-1]}x",  # forged
            f"/my/dunning/{notice.id}",  # no token
            f"/my/dunning/{other.id}?access_token={token}",  # another notice's id with this token
            f"/my/dunning/999999?access_token={token}",
        ):
            with self.subTest(url=url):
                response = self.url_open(url)
                self.assertEqual(response.status_code, 404)
                self.assertNotIn(self.beta.name, response.text)
        # expired: the page says so and who to contact; nothing can be posted any more
        notice.sudo().access_token_date = TODAY - timedelta(days=self.company.dunning_portal_link_days + 1)
        response = self._page(notice)
        self.assertEqual(response.status_code, 404)
        self.assertIn("This link has expired", response.text)
        self.assertIn(self.company.email, response.text)
        self.assertNotIn(self.inv_1.name, response.text)
        self.assertFalse(notice.portal_viewed)
        self.company.dunning_portal_link_days = 365
        self.assertEqual(self._page(notice).status_code, 200)
        # an accountant of another company, logged in, without the token: not found either
        other_company = self.setup_other_company(name="Portal B")["company"]
        outsider = new_test_user(
            self.env,
            login="portal_other_billing",
            groups="base.group_user,account.group_account_invoice",
            company_id=other_company.id,
            company_ids=[Command.set(other_company.ids)],
        )
        self.authenticate(outsider.login, outsider.login)
        self.assertEqual(self.url_open(f"/my/dunning/{notice.id}").status_code, 404)

    @mute_logger("odoo.http")
    def test_the_link_opens_the_page_only_and_internal_users_only_look(self):
        notice, _mails = self._notice()
        # not the notice's chatter, which portal.mixin would open to the token
        self.url_open(
            "/mail/message/post",
            data=json.dumps(
                {
                    "params": {
                        "thread_model": "dunning.notice",
                        "thread_id": notice.id,
                        "post_data": {"body": "Hello from the letter", "message_type": "comment"},
                        "token": notice.access_token,
                    }
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        self.assertFalse(notice.message_ids.filtered(lambda m: "Hello from the letter" in (m.body or "")))
        # a visitor never pays with the customer's saved card
        with self.assertRaises(JsonRpcException):
            self._pay_all(notice, flow="token")
        # an accountant sees the page as the customer does, without its forms, and posts nothing
        self.authenticate(self.accountant.login, self.accountant.login)
        page = self.url_open(f"/my/dunning/{notice.id}")
        self.assertIn(self.inv_1.name, page.text)
        self.assertNotIn("o_dunning_dispute_form", page.text)
        self.assertNotIn("o_dunning_promise_form", page.text)
        csrf = re.search(r'csrf_token: "([^"]+)"', page.text).group(1)
        response = self.url_open(
            f"/my/dunning/{notice.id}/dispute",
            data={"csrf_token": csrf, "move_id": self.inv_1.id, "reason": "Posted by an accountant"},
        )
        self.assertEqual(response.status_code, 404)
        self.assertFalse(self.inv_1.dunning_blocked)

    def test_portal_users_find_their_own_notices_under_my(self):
        notice, _mails = self._notice()
        other, _mails = self._notice(self.beta)
        portal = new_test_user(
            self.env, login="alpha_portal", groups="base.group_portal", partner_id=self.alpha_billing.id
        )
        self.assertEqual(self.env["dunning.notice"].with_user(portal).search([]), notice)
        self.authenticate(portal.login, portal.login)
        counters = self.make_jsonrpc_request("/my/counters", {"counters": ["dunning_notice_count"]})
        self.assertEqual(counters["dunning_notice_count"], 1)
        listing = self.url_open("/my/dunning")
        self.assertEqual(listing.status_code, 200)
        self.assertIn(notice.name, listing.text)
        self.assertNotIn(other.name, listing.text)
        self.assertEqual(self.url_open(f"/my/dunning/{notice.id}").status_code, 200)  # no token needed
        with mute_logger("odoo.http"):
            self.assertEqual(self.url_open(f"/my/dunning/{other.id}").status_code, 404)

    # -------------------------------------------------------------------------
    # Dispute
    # -------------------------------------------------------------------------

    def test_customer_disputes_an_invoice_from_the_page(self):
        notice, _mails = self._notice()
        # refused inputs: nothing disputed, the page says why
        for data, files, says in (
            ({"move_id": self.inv_2.id, "reason": "  "}, None, "Tell us why"),
            ({"move_id": self.inv_2.id, "reason": "x" * 501}, None, "under 500 characters"),
            ({"move_id": self.beta_inv.id, "reason": "Not ours"}, None, "cannot be disputed"),
            ({"move_id": self.inv_2.id, "reason": "Wrong"}, {"attachment": ("a.exe", b"MZ\x90\x00binary")}, "PDF"),
        ):
            with self.subTest(says=says):
                response = self._post(notice, "dispute", data, files)
                self.assertEqual(response.status_code, 400)
                self.assertIn(says, response.text)
        with patch("odoo.addons.dunning_notices.models.dunning_notice_portal.ATTACHMENT_MAX_BYTES", 10):
            response = self._post(
                notice, "dispute", {"move_id": self.inv_2.id, "reason": "Wrong"}, {"attachment": ("a.pdf", PDF)}
            )
        self.assertEqual(response.status_code, 400)
        self.assertIn("too large", response.text)
        self.assertFalse((self.inv_2 | self.beta_inv).filtered("dunning_blocked"))

        response = self._post(
            notice,
            "dispute",
            {"move_id": self.inv_2.id, "reason": "Wrong quantity"},
            {"attachment": ("delivery.pdf", PDF, "application/pdf")},
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("message=disputed", response.url)
        self.assertIn("In dispute", response.text)
        self.assertTrue(self.inv_2.dunning_blocked)
        self.assertIn("Wrong quantity", self.inv_2.dunning_block_reason)
        self.assertIn(notice.name, self.inv_2.dunning_block_reason)
        self.assertEqual(self.inv_2.dunning_dispute_notice_id, notice)
        note = self.inv_2.message_ids.filtered(lambda m: "Wrong quantity" in (m.body or ""))
        self.assertEqual(len(note), 1)
        self.assertEqual(note.author_id, self.alpha)
        self.assertEqual(note.attachment_ids.mapped("name"), ["delivery.pdf"])
        self.assertEqual(note.attachment_ids.mimetype, "application/pdf")
        activity = self.inv_2.activity_ids
        self.assertEqual((activity.user_id, activity.summary), (self.sender, "Invoice disputed by the customer"))
        # the next run leaves the disputed invoice out
        form = self._wizard_form(level_id=self.level_all, as_of_date=TODAY)
        form.partner_ids.add(self.alpha)
        wizard = self._apply(form)
        self.assertNotIn(self.inv_2, self._line(wizard, self.alpha).move_line_ids.move_id)

    @mute_logger("odoo.http")
    def test_a_post_without_the_forms_csrf_token_is_refused(self):
        notice, _mails = self._notice()
        response = self.url_open(
            f"/my/dunning/{notice.id}/dispute",
            data={"access_token": notice.access_token, "move_id": self.inv_2.id, "reason": "Wrong"},
        )
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self.inv_2.dunning_blocked)

    # -------------------------------------------------------------------------
    # Promise
    # -------------------------------------------------------------------------

    def test_customer_promises_a_date_and_the_next_run_leaves_it_out(self):
        notice, _mails = self._notice()
        self._post(notice, "dispute", {"move_id": self.inv_3.id, "reason": "Never delivered"})
        too_far = TODAY + timedelta(days=self.company.dunning_promise_max_days + 1)
        for data, says in (
            ({"date_promised": too_far.isoformat()}, "The promised date must be between"),
            ({"date_promised": "next week"}, "Give the date"),
            ({"date_promised": (TODAY + timedelta(days=5)).isoformat(), "amount": "-5"}, "must be positive"),
            ({"date_promised": (TODAY + timedelta(days=5)).isoformat(), "amount": "nan"}, "must be positive"),
            ({"date_promised": (TODAY + timedelta(days=5)).isoformat(), "amount": "1e308"}, "more than is due"),
        ):
            with self.subTest(says=says):
                response = self._post(notice, "promise", data)
                self.assertEqual(response.status_code, 400)
                self.assertIn(says, response.text)
        self.assertFalse(self.env["dunning.promise"].search([("partner_id", "=", self.alpha.id)]))

        day = TODAY + timedelta(days=10)
        response = self._post(notice, "promise", {"date_promised": day.isoformat(), "note": "After our board"})
        self.assertIn("message=promised", response.url)
        self.assertIn("Promised for", response.text)
        promise = self.env["dunning.promise"].search([("partner_id", "=", self.alpha.id)])
        self.assertRecordValues(
            promise,
            [
                {
                    "source": "customer",
                    "state": "open",
                    "date_promised": day,
                    "notice_id": notice.id,
                    "user_id": self.sender.id,
                    "amount": 0.0,
                    "amount_due": 1000.0,
                    "note": "After our board",
                }
            ],
        )
        # the disputed invoice is not promised
        self.assertEqual(promise.move_line_ids.move_id, self.inv_1 | self.inv_2)
        self.assertIn("The customer promised to pay", self.alpha.message_ids[0].body)
        self.assertEqual(notice.promise_ids, promise)
        # promised once: nothing left to promise
        response = self._post(notice, "promise", {"date_promised": day.isoformat()})
        self.assertEqual(response.status_code, 400)
        self.assertIn("left to promise", response.text)

        # the next run: nothing left to dun, promised or disputed: the customer is left out as promised
        form = self._wizard_form(level_id=self.level_all, as_of_date=TODAY + timedelta(days=1))
        form.partner_ids.add(self.alpha)
        line = self._line(self._apply(form), self.alpha)
        self.assertEqual((line.excluded, line.exclusion_reason), (True, "promised"))
        self.assertIn("$\xa01,000.00", line.exclusion_detail)

    # -------------------------------------------------------------------------
    # Pay All
    # -------------------------------------------------------------------------

    def test_pay_all_pays_every_open_invoice_in_one_transaction(self):
        notice, _mails = self._notice()
        self._pay(self.inv_2, 100, TODAY)
        response = self._page(notice)
        self.assertIn('name="o_payment_submit_button"', response.text)
        self.assertIn(f"/my/dunning/{notice.id}/transaction/{self.currency.id}", response.text)
        transaction = self._pay_all(notice)
        self.assertEqual(transaction.invoice_ids, self.inv_1 | self.inv_2 | self.inv_3)
        self.assertEqual(transaction.amount, 1100.0)  # 700 + 200 + 200
        self.assertEqual(transaction.dunning_notice_id, notice)
        self.assertTrue(transaction.reference.startswith(notice.name))
        self.assertIn(f"/my/dunning/{notice.id}?", transaction.landing_route)  # the server's, not "/elsewhere"
        transaction._set_done()
        transaction._post_process()
        for invoice in self.inv_1 | self.inv_2 | self.inv_3:
            self.assertIn(invoice.payment_state, ("in_payment", "paid"))
        self.assertFalse(notice._get_portal_payable())
        text = self._page(notice, message="paid").text
        self.assertIn("Thank you for your payment", text)
        self.assertNotIn('name="o_payment_submit_button"', text)
        # what the customer did, in the effectiveness analysis: the online 1,100 and the 100 paid before, cash
        self.env.flush_all()
        row = self.env["dunning.effectiveness.report"].search([("notice_id", "=", notice.id)])
        self.assertRecordValues(
            row, [{"viewed_count": 1, "amount_paid_online": 1100.0, "dispute_count": 0, "cash_7d": 1200.0}]
        )

    @mute_logger("odoo.http")
    def test_pay_all_refuses_a_forged_token_and_without_provider_shows_the_bank(self):
        notice, _mails = self._notice()
        with self.assertRaises(JsonRpcException) as refused:
            self.make_jsonrpc_request(
                f"/my/dunning/{notice.id}/transaction/{self.currency.id}",
                {
                    "access_token": "forged",
                    "provider_id": self.provider.id,
                    "amount": 1.0,
                    "flow": "direct",
                    "payment_method_id": self.payment_method_id,
                    "token_id": None,
                    "tokenization_requested": False,
                    "landing_route": "/",
                },
            )
        self.assertIn("ValidationError", str(refused.exception))
        self.assertFalse(self.env["payment.transaction"].search([("dunning_notice_id", "=", notice.id)]))
        self.env["payment.provider"].sudo().search([("company_id", "=", self.company.id)]).state = "disabled"
        self.env["res.partner.bank"].create(
            {"partner_id": self.company.partner_id.id, "acc_number": "BE71096123456769"}
        )
        text = self._page(notice).text
        self.assertNotIn('name="o_payment_submit_button"', text)
        self.assertIn("BE71 0961 2345 6769", text)
        self.assertIn("Or pay by bank transfer", text)

    def test_effectiveness_counts_disputes_and_promises(self):
        notice, _mails = self._notice()
        self._post(notice, "dispute", {"move_id": self.inv_3.id, "reason": "Never delivered"})
        self._post(notice, "promise", {"date_promised": (TODAY + timedelta(days=3)).isoformat(), "amount": "100"})
        promise = notice.promise_ids
        self._pay(self.inv_1, 700, TODAY)
        promise._cron_check_promises()  # paid more than promised: kept before its date
        self.assertEqual(promise.state, "kept")
        self.env.flush_all()
        row = self.env["dunning.effectiveness.report"].search([("notice_id", "=", notice.id)])
        self.assertRecordValues(
            row, [{"viewed_count": 1, "dispute_count": 1, "promise_count": 1, "promise_kept_count": 1}]
        )

    # -------------------------------------------------------------------------
    # In a real browser
    # -------------------------------------------------------------------------

    def test_tour_dispute_and_promise_from_the_emails_link(self):
        notice, mails = self._notice()
        link = re.search(r'href="([^"]*/my/dunning/[^"]+)"', mails.body_html).group(1).replace("&amp;", "&")
        self.start_tour(link.removeprefix(notice.get_base_url()), "dunning_portal_dispute_promise_tour", login=None)
        self.assertTrue(self.inv_2.dunning_blocked)
        self.assertIn("Wrong quantity delivered", self.inv_2.dunning_block_reason)
        promise = notice.promise_ids
        self.assertEqual((promise.source, promise.date_promised), ("customer", TODAY + timedelta(days=7)))
        self.assertEqual(promise.move_line_ids.move_id, self.inv_1 | self.inv_3)
        self.assertTrue(notice.portal_viewed)

    def test_tour_pay_all_with_the_demo_provider(self):
        # payment_demo's provider, in the test company, the only one there
        providers = self.env["payment.provider"].sudo()
        demo = providers.search([("code", "=", "demo"), ("company_id", "=", self.company.id)], limit=1)
        demo = demo or providers.search([("code", "=", "demo")], limit=1).copy({"company_id": self.company.id})
        (providers.search([("company_id", "=", self.company.id)]) - demo).state = "disabled"
        demo.write(
            {
                "state": "test",
                "is_published": True,
                "payment_method_ids": [Command.link(self.env.ref("payment_demo.payment_method_demo").id)],
            }
        )
        notice, _mails = self._notice()
        self._pay(self.inv_2, 100, TODAY)
        self.start_tour(notice.get_portal_url(), "dunning_portal_pay_all_tour", login=None)
        transaction = self.env["payment.transaction"].search([("dunning_notice_id", "=", notice.id)])
        self.assertEqual((transaction.state, transaction.amount), ("done", 1100.0))
        for invoice in self.inv_1 | self.inv_2 | self.inv_3:
            self.assertIn(invoice.payment_state, ("in_payment", "paid"))
