from datetime import date
from unittest.mock import patch

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.base.models.ir_mail_server import MailDeliveryException

from ..compat import web_read_group
from .common import DunningTestCommon


@tagged("post_install", "-at_install")
class TestDunningHistory(DunningTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alpha_inv = cls._invoice(cls.alpha, date(2026, 6, 10), 500, due=date(2026, 6, 20))
        cls.alpha_old = cls._invoice(cls.alpha, date(2026, 5, 1), 300, due=date(2026, 5, 10))
        cls.beta_inv = cls._invoice(cls.beta, date(2026, 6, 1), 2000, due=date(2026, 6, 15))

    def _send_to(self, level, partners):
        form = self._wizard_form(level_id=level)
        for partner in partners:
            form.partner_ids.add(partner)
        wizard, _action = self._send(form=form)
        return wizard.notice_ids

    def test_smart_button_count_and_domain(self):
        self.assertEqual(self.alpha.dunning_notice_count, 0)
        first = self._send_to(self.level_early, self.alpha)
        second = self._send_to(self.level_late, self.alpha)
        self._send_to(self.level_early, self.beta)
        self.alpha.invalidate_recordset(["dunning_notice_count"])
        self.assertEqual(self.alpha.dunning_notice_count, 2)
        self.assertEqual(self.alpha_billing.dunning_notice_count, 2, "contacts show their company's notices")
        action = self.alpha_billing.action_view_dunning_notices()
        self.assertEqual(self.env["dunning.notice"].search(action["domain"]), first | second)
        self.assertEqual(action["res_model"], "dunning.notice")
        # the chatter of the customer logs each notice, with a link to it (its email and PDF are on it)
        for notice in first | second:
            log = self.alpha.message_ids.filtered(lambda m, n=notice: f'data-oe-id="{n.id}"' in (m.body or ""))
            self.assertEqual(len(log), 1)
            self.assertFalse(log.attachment_ids)
            self.assertTrue(notice.message_id.attachment_ids)

    def test_invoice_dunning_fields_after_one_and_two_notices(self):
        self.assertEqual(self.alpha_inv.dunning_count, 0)
        self.assertFalse(self.alpha_inv.last_dunning_level_id)
        first = self._send_to(self.level_early, self.alpha)
        self.env.invalidate_all()
        self.assertEqual(self.alpha_inv.dunning_count, 1)
        self.assertEqual(self.alpha_inv.last_dunning_level_id, self.level_early)
        self.assertEqual(self.alpha_inv.last_dunning_date, first.date_sent)
        self.assertEqual(self.alpha_old.dunning_count, 0, "the 51-day invoice is not in the early level")
        big = self.env["dunning.level"].create(
            {
                "name": "Everything",
                "min_days_overdue": 1,
                "report_id": self.level_early.report_id.id,
                "mail_template_id": self.level_early.mail_template_id.id,
            }
        )
        second = self._send_to(big, self.alpha)
        self.env.invalidate_all()
        self.assertEqual(self.alpha_inv.dunning_count, 2)
        self.assertEqual(self.alpha_inv.last_dunning_level_id, big)
        self.assertEqual(self.alpha_old.dunning_count, 1)
        action = self.alpha_inv.action_view_dunning_notices()
        self.assertEqual(self.env["dunning.notice"].search(action["domain"]), first | second)
        # the invoice list offers the columns
        arch = self.env["account.move"].get_views([(self.env.ref("account.view_out_invoice_tree").id, "list")])
        self.assertIn("last_dunning_level_id", arch["views"]["list"]["arch"])

    def test_delivery_state_follows_the_mail_queue(self):
        notice = self._send_to(self.level_early, self.alpha)
        self.assertEqual(notice.delivery_state, "outgoing")
        mail = self.env["mail.mail"].search([("mail_message_id", "=", notice.message_id.id)])
        with self.mock_mail_gateway():
            mail.send()
        self.assertEqual(notice.message_id.notification_ids.mapped("notification_status"), ["sent"])
        self.assertEqual(notice.delivery_state, "sent")

    @mute_logger("odoo.addons.mail.models.mail_mail")
    def test_delivery_state_failed(self):
        notice = self._send_to(self.level_early, self.beta)
        mail = self.env["mail.mail"].search([("mail_message_id", "=", notice.message_id.id)])
        with (
            self.mock_mail_gateway(),
            patch.object(type(self.env["ir.mail_server"]), "send_email", side_effect=MailDeliveryException("refused")),
        ):
            mail.send(raise_exception=False)
        self.assertEqual(mail.state, "exception")
        self.assertEqual(notice.delivery_state, "failed")
        failed = self.env["dunning.notice"].search([("delivery_state", "=", "failed")])
        self.assertEqual(failed, notice)

    def test_plain_internal_user_sees_chatter_not_notices(self):
        # even on a customer of the company: the notice, its email and its PDF are the accountants'
        self.alpha.company_id = self.company
        notice = self._send_to(self.level_early, self.alpha)
        employee = new_test_user(
            self.env,
            login="dunning_employee",
            groups="base.group_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        with self.assertRaises(AccessError):
            notice.with_user(employee).read(["name"])
        with self.assertRaises(AccessError):
            self.env["dunning.notice"].with_user(employee).search([])
        messages = self.alpha.with_user(employee).message_ids
        self.assertNotIn(notice.message_id, messages)
        log = messages.filtered(lambda m: notice.name in (m.body or ""))
        self.assertEqual(len(log), 1, "the customer's chatter logs the notice")
        self.assertNotIn("500", log.body)
        with self.assertRaises(AccessError):
            notice.message_id.with_user(employee).read(["body"])
        with self.assertRaises(AccessError):
            notice.pdf_attachment_id.with_user(employee).read(["raw"])

    def test_accountant_reads_notices_of_own_company_only(self):
        notice = self._send_to(self.level_early, self.alpha)
        other = self.setup_other_company(name="Company B")["company"]
        other_accountant = new_test_user(
            self.env,
            login="other_accountant",
            groups="base.group_user,account.group_account_invoice",
            company_id=other.id,
            company_ids=[Command.set(other.ids)],
        )
        self.assertEqual(notice.with_user(self.accountant).read(["name"])[0]["name"], notice.name)
        self.assertFalse(self.env["dunning.notice"].with_user(other_accountant).search([]))
        with self.assertRaises(AccessError):
            notice.with_user(other_accountant).read(["name"])
        with self.assertRaises(AccessError):
            notice.line_ids.with_user(other_accountant).read(["amount_residual"])

    def test_notice_form_and_history_views_load(self):
        notice = self._send_to(self.level_early, self.alpha)
        form = Form(notice.with_user(self.accountant))
        self.assertEqual(form.partner_id, self.alpha)
        self.assertEqual(len(form.line_ids), 1)
        views = (
            self.env["dunning.notice"]
            .with_user(self.accountant)
            .get_views([(False, "list"), (False, "form"), (False, "search"), (False, "pivot"), (False, "graph")])
        )
        self.assertEqual(set(views["views"]), {"list", "form", "search", "pivot", "graph"})
        groups = web_read_group(
            self.env["dunning.notice"].with_user(self.accountant),
            [],
            ["level_id", "create_date:month"],
            ["amount_overdue:sum"],
        )
        self.assertEqual(groups[0]["amount_overdue:sum"], 500)
