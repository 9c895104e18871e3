import io
import json
from datetime import date

from odoo import Command, http
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger
from odoo.tools.pdf import PdfFileWriter

from .common import DunningTestCommon

REPORT = "dunning_notices.report_dunning_notice"
# the production path of the routes: in tests Odoo renders reports as HTML, as the user, unless asked
PRODUCTION = json.dumps({"force_report_rendering": True})


@tagged("post_install", "-at_install")
class TestDunningRoutes(DunningTestCommon, HttpCase):
    """Issue 23: the HTTP routes a notice's data leaves by, each opened with the session of each user."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alpha_inv = cls._invoice(cls.alpha, date(2026, 6, 10), 500, due=date(2026, 6, 20))
        cls.beta_inv = cls._invoice(cls.beta, date(2026, 6, 1), 2000, due=date(2026, 6, 15))
        cls.other = cls.setup_other_company(name="Company B")["company"]

        def user(login, groups, company=cls.company):
            return new_test_user(
                cls.env, login=login, groups=groups, company_id=company.id, company_ids=[Command.set(company.ids)]
            )

        cls.users_refused = {
            "portal": user("route_portal", "base.group_portal"),
            "employee": user("route_employee", "base.group_user"),
            "other_billing": user("route_other_billing", "base.group_user,account.group_account_invoice", cls.other),
            "other_manager": user("route_other_manager", "base.group_user,account.group_account_manager", cls.other),
        }
        cls.users_allowed = {
            "billing": cls.accountant,
            "accountant": user("route_accountant", "base.group_user,account.group_account_user"),
            "manager": user("route_manager", "base.group_user,account.group_account_manager"),
        }

    def _sent_notices(self, email=False):
        alpha, _mails = self._send_to(self.alpha, self.level_early, email=email)
        beta, _mails = self._send_to(self.beta, self.level_early, email=email)
        notices = alpha | beta
        self.assertTrue(alpha.pdf_attachment_id and beta.pdf_attachment_id)
        # in tests the stored notice is Odoo's HTML rendering: real PDFs, for a download of several to merge
        for notice in notices:
            writer = PdfFileWriter()
            writer.add_blank_page(595, 842)
            stream = io.BytesIO()
            writer.write(stream)
            notice.pdf_attachment_id.sudo().raw = stream.getvalue()
        return notices

    def _download(self, url):
        return self.url_open(
            "/report/download",
            data={
                "data": json.dumps([url, "qweb-pdf"]),
                "context": PRODUCTION,
                "token": "dummy",
                "csrf_token": http.Request.csrf_token(self),
            },
        )

    def test_report_pdf_for_the_notice_company_accountants_only(self):
        notices = self._sent_notices()
        one = f"/report/pdf/{REPORT}/{notices[0].id}?context={PRODUCTION}"
        several = f"/report/pdf/{REPORT}/{','.join(map(str, notices.ids))}"
        for name, user in self.users_allowed.items():
            with self.subTest(user=name):
                self.authenticate(user.login, user.login)
                response = self.url_open(one)
                self.assertEqual(response.status_code, 200)
                self.assertEqual(response.headers["Content-Type"], "application/pdf")
                self.assertEqual(response.content, notices[0].pdf_attachment_id.raw)
                response = self._download(several)
                self.assertEqual(response.status_code, 200)
                self.assertEqual(response.headers["Content-Type"], "application/pdf")
        for name, user in self.users_refused.items():
            with self.subTest(user=name), mute_logger("odoo.http", "odoo.addons.web.controllers.report"):
                self.authenticate(user.login, user.login)
                response = self.url_open(one)
                self.assertNotEqual(response.headers.get("Content-Type"), "application/pdf")
                self.assertNotIn(notices[0].pdf_attachment_id.raw, response.content)
                response = self._download(several)
                self.assertNotEqual(response.headers.get("Content-Type"), "application/pdf")
                self.assertNotIn(notices[0].pdf_attachment_id.raw, response.content)
        # and nobody logged out
        self.authenticate(None, None)
        response = self.url_open(one)
        self.assertNotEqual(response.headers.get("Content-Type"), "application/pdf")

    def test_shared_customer_chatter_shows_other_companies_the_log_only(self):
        """Alpha, shared by both companies: company B opens its chatter and reads no amount nor pay link."""
        self.assertFalse(self.alpha.company_id)
        notices, _mails = self._send_to(self.alpha, self.level_early, email=True)
        self.assertIn("/dunning/pay/", notices.message_id.body)
        for name in ("other_billing", "other_manager", "employee"):
            with self.subTest(user=name):
                user = self.users_refused[name]
                self.authenticate(user.login, user.login)
                result = self.make_jsonrpc_request(
                    "/mail/thread/messages", {"thread_model": "res.partner", "thread_id": self.alpha.id}
                )
                bodies = " ".join(str(message.get("body")) for message in result["data"].get("mail.message", []))
                self.assertIn(notices.name, bodies, "the log line of the notice is there")
                self.assertNotIn("500.00", bodies)
                self.assertNotIn("/dunning/pay/", bodies)
                self.assertNotIn(notices.message_id.id, result["messages"])
                with mute_logger("odoo.http"):
                    response = self.url_open(f"/web/content/{notices.pdf_attachment_id.id}")
                self.assertNotEqual(response.status_code, 200)
        self.authenticate(self.accountant.login, self.accountant.login)
        result = self.make_jsonrpc_request(
            "/mail/thread/messages", {"thread_model": "dunning.notice", "thread_id": notices.id}
        )
        self.assertIn(notices.message_id.id, result["messages"])

    def test_pay_route_with_each_session(self):
        """The pay link opens the invoice's portal page with its token, whoever follows it; without the
        token, nobody gets further than a 404."""
        notices, _mails = self._send_to(self.alpha, self.level_early, email=True)
        url = self.alpha_inv._get_dunning_pay_url()
        self.assertIn(url, notices.message_id.body)
        path = url[len(self.alpha_inv.get_base_url()) :]
        for name, user in {None: None, **self.users_refused, **self.users_allowed}.items():
            with self.subTest(user=name):
                self.authenticate(user and user.login, user and user.login)
                response = self.url_open(path, allow_redirects=False)
                self.assertEqual(response.status_code, 303)
                self.assertIn(f"/my/invoices/{self.alpha_inv.id}?access_token=", response.headers["Location"])
                with mute_logger("odoo.http"):
                    response = self.url_open(path.split("?")[0], allow_redirects=False)
                self.assertEqual(response.status_code, 404)
