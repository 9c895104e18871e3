from datetime import date, timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged

from ..compat import add_groups
from .common import DunningTestCommon


@tagged("post_install", "-at_install")
class TestUi(DunningTestCommon, HttpCase):
    """Tours in headless Chromium, as the test company's accounting manager (``accountman``), at the
    screen size every screen is to read whole at (issue 26)."""

    browser_size = "1440x900"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        add_groups(cls.env.user, cls.env.ref("base.group_system"))
        # the common test data holds cash basis taxes, which the settings form refuses to hide
        cls.company.tax_exigibility = True
        cls.alpha_inv = cls._invoice(cls.alpha, date(2026, 6, 10), 500, due=date(2026, 6, 20))
        cls.beta_inv = cls._invoice(cls.beta, date(2026, 6, 1), 2000, due=date(2026, 6, 15))
        cls.carol_inv = cls._invoice(cls.carol, date(2026, 6, 20), 100, due=date(2026, 6, 25))
        cls.dan_inv = cls._invoice(cls.dan, date(2026, 6, 1), 50, due=date(2026, 6, 5))

    def test_menu_reaches_the_wizard(self):
        """The Dunning sections of Customers and Configuration, then step 2 of a run of all levels: the
        level of each customer, no empty column, a customer left out."""
        self.level_big.active = False  # the highest level, its minimum would leave most customers out
        self._invoice(self.carol, date(2026, 4, 1), 80, due=date(2026, 5, 1))  # 60 days: Carol is Late
        self.dan.with_company(self.company).write({"dunning_hold": True, "dunning_hold_reason": "Payment plan agreed"})
        self.start_tour("/odoo", "dunning_notices_menu_tour", login=self.env.user.login)

    def test_customer_history_titles(self):
        self._send_to(self.alpha, self._create_level_all(), email=True)
        self.start_tour(
            f"/odoo/action-account.res_partner_action_customer/{self.alpha.id}",
            "dunning_notices_history_tour",
            login=self.env.user.login,
        )

    def test_effectiveness_pivot_and_graph(self):
        """An accountant opens Reporting > Dunning Effectiveness: the pivot by level with the 30-day rate,
        then the graph."""
        level = self._create_level_all()
        invoice = self._invoice(self.alpha, date(2026, 5, 1), 1000, due=date(2026, 6, 1))
        notices, _mails = self._send_to(self.alpha, level, email=True)  # 1,000 + 500 dunned on 30 June
        self._pay(invoice, 300, date(2026, 7, 5))
        self.assertEqual(notices.state, "done")
        # sent today: its 30 days are not over, the default filters leave it out of the rate
        fresh, _mails = self._send_to(self.beta, level, as_of_date=fields.Date.today(), email=True)
        self.assertEqual(fresh.state, "done")
        self.start_tour("/odoo", "dunning_notices_effectiveness_tour", login=self.env.user.login)

    def test_settings_and_levels(self):
        self.start_tour(
            "/odoo/action-account.action_account_config", "dunning_notices_settings_tour", login=self.env.user.login
        )
        self.assertEqual(self.level_late.max_days_overdue, 90, "the tour edited the level in the browser")
        # the automatic mode chosen in the browser came with its interval, next date and sender
        self.assertRecordValues(
            self.level_late,
            [{"auto_mode": "review", "auto_interval_number": 1, "auto_interval_type": "weeks"}],
        )
        self.assertEqual(self.level_late.auto_sender_user_id, self.env.user)
        self.assertGreater(self.level_late.auto_next_date, fields.Date.today() - timedelta(days=1))

    def test_send_flow(self):
        alpha_inv_300 = self._invoice(self.alpha, date(2026, 6, 12), 300, due=date(2026, 6, 22))
        with self.mock_mail_gateway():
            self.start_tour(
                "/odoo/action-dunning_notices.dunning_notice_send_action",
                "dunning_notices_send_tour",
                login=self.env.user.login,
            )
            self._run_queue()  # their PDFs render in the background
        notices = self.env["dunning.notice"].search([("company_id", "=", self.company.id)])
        # Beta's email and Dan's print were unticked in the browser
        self.assertEqual(notices.partner_id, self.alpha | self.carol)
        self.assertEqual(set(notices.mapped("state")), {"done"})
        self.assertEqual(set(notices.mapped("as_of_date")), {date(2026, 6, 30)})
        alpha = notices.filtered(lambda n: n.partner_id == self.alpha)
        # the invoice of 300 was unticked in Alpha's items: the notice asks for the other one only
        self.assertEqual(alpha.amount_overdue, 500)
        self.assertEqual(alpha.line_ids.move_id, self.alpha_inv)
        self.assertEqual(alpha.recipient_ids, self.alpha_billing)
        mails = self.env["mail.mail"].search([("mail_message_id", "in", notices.message_id.ids)])
        self.assertEqual(mails.recipient_ids, self.alpha_billing | self.carol)
        alpha_mail = mails.filtered(lambda mail: self.alpha_billing in mail.recipient_ids)
        self.assertIn(self.alpha_inv.name, alpha_mail.body_html)
        self.assertNotIn(alpha_inv_300.name, alpha_mail.body_html)

    def test_review_flow(self):
        """Issue 14: step 1, step 2, None then Email all, untick Beta, save for review, preview an email
        in the run, send it."""
        with self.mock_mail_gateway():
            self.start_tour(
                "/odoo/action-dunning_notices.dunning_notice_send_action",
                "dunning_notices_review_tour",
                login=self.env.user.login,
            )
            run = self.env["dunning.run"].search([("company_id", "=", self.company.id)])
            self.assertEqual(set(run.notice_ids.mapped("state")), {"queued"}, "left to the background")
            self._run_queue()
        self.assertEqual(len(run), 1)
        self.assertEqual(run.state, "sent")
        self.assertEqual(run.notice_ids.partner_id, self.alpha | self.carol | self.dan)
        self.assertEqual(set(run.notice_ids.mapped("state")), {"done"})
        dan = run.notice_ids.filtered(lambda n: n.partner_id == self.dan)
        self.assertEqual(run.action_download_letters()["context"]["active_ids"], dan.ids, "the run's letter")
        self.assertTrue(dan.to_print and not dan.to_email, "Email all prints for a customer without address")
        mails = self.env["mail.mail"].search([("mail_message_id", "in", run.notice_ids.message_id.ids)])
        self.assertEqual(mails.recipient_ids, self.alpha_billing | self.carol)

    def test_letters_ready_notification_opens_the_run(self):
        """Issue 26: letters prepared in the background are announced in the web client with Download
        Letters and Open Run; Open Run shows the run and its Download Letters button."""

        def print_only(line):
            line.to_email = False
            line.to_print = True

        wizard, _action = self._send(edit=print_only)
        run = wizard.notice_ids.run_id
        self.assertTrue(run.printed_count)
        # the tour shows the notification itself: none of the queue's bus messages reaches the browser twice
        self.env.cr.precommit.run()
        self.env["bus.bus"].sudo().search([]).unlink()
        self.start_tour("/odoo", "dunning_notices_letters_ready_tour", login=self.env.user.login)

    def test_other_company_cannot_fetch_a_notice_pdf_over_http(self):
        """The report route as a user of another company: no PDF, whatever the notice id."""
        wizard, _action = self._send()
        notice = wizard.notice_ids.filtered(lambda n: n.partner_id == self.beta)
        other = self.setup_other_company(name="Company B")["company"]
        new_test_user(
            self.env,
            login="http_other",
            password="http_other_pw",
            groups="base.group_user,account.group_account_manager",
            company_id=other.id,
            company_ids=[Command.set(other.ids)],
        )
        url = f"/report/pdf/dunning_notices.report_dunning_notice/{notice.id}"
        self.authenticate("http_other", "http_other_pw")
        response = self.url_open(url)
        self.assertNotEqual(response.headers.get("Content-Type"), "application/pdf")
        self.assertNotIn(self.beta_inv.name, response.text)
        self.assertNotIn("Beta Ltd", response.text)
        # the same route serves the notice's own company
        self.authenticate(self.accountant.login, self.accountant.login)
        response = self.url_open(url.replace("/pdf/", "/html/"))
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.beta_inv.name, response.text)
