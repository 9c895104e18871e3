import json
from datetime import date
from urllib.parse import unquote

from odoo import http, tools
from odoo.exceptions import UserError, ValidationError
from odoo.tests import HttpCase, tagged

from .common import DunningTestCommon


@tagged("post_install", "-at_install")
class TestDunningUiDetails(DunningTestCommon, HttpCase):
    """What a user reads: ranges, names on the letter, download names, error messages."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alpha_inv = cls._invoice(cls.alpha, date(2026, 6, 10), 500, due=date(2026, 6, 20))
        cls.beta_inv = cls._invoice(cls.beta, date(2026, 6, 1), 2000, due=date(2026, 6, 15))

    def _level(self, **values):
        return self.env["dunning.level"].create(
            {"name": "Level", "report_id": self.level_early.report_id.id, "min_days_overdue": 1, **values}
        )

    def _amount(self, amount):
        return tools.format_amount(self.env, amount, self.currency)

    def _send_printed(self):
        def edit(line):
            line.to_print, line.to_email = True, False

        wizard, _action = self._send(edit=edit)
        self.assertEqual(set(wizard.notice_ids.mapped("state")), {"done"})
        return wizard.notice_ids

    # -------------------------------------------------------------------------

    def test_days_range_display(self):
        self.assertEqual(self._level(min_days_overdue=1, max_days_overdue=15).days_range_display, "1-15 days")
        self.assertEqual(self._level(min_days_overdue=61, max_days_overdue=0).days_range_display, "61+ days")
        # one level after the other: the maximum is not used
        sequential = self._level(min_days_overdue=16, max_days_overdue=30, escalation_mode="sequential")
        self.assertEqual(sequential.days_range_display, "16+ days")

    def test_amount_range_display(self):
        cases = [
            ((0, 0), "any amount"),
            ((500, 0), f"from {self._amount(500)}"),
            ((0, 5000), f"up to {self._amount(5000)}"),
            ((500, 5000), f"{self._amount(500)} to {self._amount(5000)}"),
        ]
        for (low, high), expected in cases:
            level = self._level(min_amount_overdue=low, max_amount_overdue=high)
            self.assertEqual(level.amount_range_display, expected)
        self.assertIn("5,000.00", self._amount(5000), "the amounts are formatted in the company's currency")

    def test_display_name_gives_the_range_letters_the_name(self):
        level = self._level(name="First Reminder", min_days_overdue=1, max_days_overdue=15)
        self.assertEqual(level.display_name, "First Reminder (1-15 days)")
        level.max_days_overdue = 0
        self.assertEqual(level.display_name, "First Reminder (1+ days)")
        # the wizard's level dropdown lists the levels with their range
        names = dict(self.env["dunning.level"].name_search("First Reminder"))
        self.assertEqual(names[level.id], "First Reminder (1+ days)")
        # letters print the plain name
        notice = self._send_printed().filtered(lambda n: n.partner_id == self.alpha)
        html = self._report_html(notice)
        self.assertIn('<small class="text-muted fs-4 ms-2" name="level">Early</small>', html)
        self.assertNotIn("Early (", html)

    def _report_html(self, notices):
        html, _type = self.env["ir.actions.report"]._render_qweb_html(
            "dunning_notices.report_dunning_notice", notices.ids
        )
        return html.decode()

    def test_level_name_on_letter_and_email_in_customer_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.beta.lang = "fr_FR"
        self.level_early.with_context(lang="fr_FR").name = "Premier rappel"
        notices = self._send_printed()
        beta_notice = notices.filtered(lambda n: n.partner_id == self.beta)
        alpha_notice = notices.filtered(lambda n: n.partner_id == self.alpha)
        beta_html, alpha_html = self._report_html(beta_notice), self._report_html(alpha_notice)
        self.assertIn("Premier rappel", beta_html)
        self.assertNotIn(">Early<", beta_html)
        self.assertIn(beta_notice.name, beta_html)
        self.assertIn(">Early<", alpha_html)
        template = self.level_early.mail_template_id
        # whatever the French wording of the template (a translation of the whole body), the level's
        # name comes in the customer's language
        template.update_field_translations("body_html", {"fr_FR": False})
        bodies = template._render_field("body_html", notices.ids, compute_lang=True)
        self.assertIn("Premier rappel", bodies[beta_notice.id])
        self.assertIn(beta_notice.name, bodies[beta_notice.id])
        self.assertIn("Early", bodies[alpha_notice.id])
        self.assertNotIn("Premier rappel", bodies[alpha_notice.id])

    def _download(self, notices):
        """The file name the browser saves the notices' PDF under (the route of the Print button)."""
        self.authenticate(self.env.user.login, self.env.user.login)
        url = f"/report/pdf/dunning_notices.report_dunning_notice/{','.join(map(str, notices.ids))}"
        response = self.url_open(
            "/report/download",
            data={"data": json.dumps([url, "qweb-pdf"]), "csrf_token": http.Request.csrf_token(self)},
        )
        self.assertEqual(response.status_code, 200, response.text[:500])
        disposition = response.headers["Content-Disposition"]
        return unquote(disposition.split("filename*=UTF-8''", 1)[1])

    def test_download_names(self):
        notices = self._send_printed()
        alpha_notice = notices.filtered(lambda n: n.partner_id == self.alpha)
        self.assertEqual(self._download(alpha_notice), f"{alpha_notice.name.replace('/', '-')} - Alpha Corp.pdf")
        self.assertEqual(len(notices), 2)
        self.assertEqual(self._download(notices), "Dunning notices 2026-06-30 (2).pdf")
        # other reports keep Odoo's names
        invoices = self.alpha_inv | self.beta_inv
        url = f"/report/pdf/account.report_invoice/{self.alpha_inv.id},{self.beta_inv.id}"
        response = self.url_open(
            "/report/download",
            data={"data": json.dumps([url, "qweb-pdf"]), "csrf_token": http.Request.csrf_token(self)},
        )
        self.assertNotIn("Dunning", response.headers["Content-Disposition"])
        self.assertEqual(len(invoices), 2)

    def test_batch_name_of_several_as_of_dates(self):
        notices = self._send_printed()
        self.assertEqual(notices._get_report_batch_filename(), "Dunning notices 2026-06-30 (2)")
        later = self._send(self._wizard_form(as_of_date=date(2026, 7, 15)))[0].notice_ids
        self.assertEqual(
            (notices | later)._get_report_batch_filename(),
            f"Dunning notices 2026-06-30 - 2026-07-15 ({2 + len(later)})",
        )

    def test_print_once_in_the_notices_list(self):
        """One Print in the list's selection: the button that checks the notices, no report menu entry."""
        report = self.env.ref("dunning_notices.action_report_dunning_notice")
        self.assertFalse(report.binding_model_id)
        arch = self.env["dunning.notice"].get_views([(False, "list")])["views"]["list"]["arch"]
        self.assertEqual(arch.count('string="Print"'), 1)

    def test_errors_name_their_record(self):
        level = self._level(name="Reminder X")
        with self.assertRaisesRegex(ValidationError, "Reminder X: the printable template .* is not a dunning notice"):
            level.report_id = self.env.ref("account.account_invoices")
        notices = self._send_printed()
        notice = notices[0]
        with self.assertRaisesRegex(UserError, f"in error can be processed again, not {notice.name}"):
            notice.action_retry()
        with self.assertRaisesRegex(UserError, f"can be cancelled, not {notice.name}"):
            notice.action_cancel()
        with self.assertRaisesRegex(UserError, f"email failed can be sent again, not {notice.name}"):
            notice.action_resend()
        with self.assertRaisesRegex(UserError, f"cannot be deleted: {notice.name}"):
            notice.sudo().unlink()
        queued = notice.sudo().copy({"as_of_date": date(2026, 6, 29), "move_line_ids_data": notice.move_line_ids_data})
        with self.assertRaisesRegex(UserError, f"cancel these first: {queued.name}"):
            (notice | queued).sudo().action_archive()
        with self.assertRaisesRegex(UserError, f"{self.alpha_inv.name}: give the reason"):
            self.alpha_inv._dunning_set_dispute(" ")

    def test_sent_on_only_once_processed(self):
        notices = self._send_printed()
        self.assertEqual(set(notices.mapped("date_sent")), {date.today()})
        queued = (
            notices[0]
            .sudo()
            .copy({"as_of_date": date(2026, 6, 29), "move_line_ids_data": notices[0].move_line_ids_data})
        )
        self.assertFalse(queued.date_sent)
        # the list shows the date of processed notices only, their delivery state beside it
        arch = self.env["dunning.notice"].get_views([(False, "list")])["views"]["list"]["arch"]
        self.assertIn('<field name="date_sent" invisible="state != \'done\'"', arch)
        self.assertNotIn("create_date", arch)
