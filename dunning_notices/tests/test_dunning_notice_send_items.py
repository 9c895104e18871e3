from datetime import date, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

from .common import AS_OF, DunningTestCommon


@tagged("post_install", "-at_install")
class TestDunningNoticeSendItems(DunningTestCommon):
    """Issue 13, item 7: the accountant opens a customer's line, sees its overdue items and open
    credits, unticks items for this run only; the line's amounts and the notice follow. The list shows
    each customer's last notice."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.level_all = cls._create_level_all()
        cls.inv_100 = cls._invoice(cls.alpha, date(2026, 5, 1), 100, due=date(2026, 5, 31))
        cls.inv_200 = cls._invoice(cls.alpha, date(2026, 5, 10), 200, due=date(2026, 6, 9))
        cls.inv_300 = cls._invoice(cls.alpha, date(2026, 5, 20), 300, due=date(2026, 6, 19))
        cls.other_accountant = new_test_user(
            cls.env,
            login="dunning_other_accountant",
            name="Otto Other",
            groups="base.group_user,account.group_account_invoice",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    def _apply_as(self, user, as_of_date=AS_OF):
        form = self._wizard_form(user=user, level_id=self.level_all, as_of_date=as_of_date)
        form.partner_ids.add(self.alpha)
        return self._apply(form)

    def _open_items(self, line):
        """The line's Items button, then its dialog as a form."""
        action = line.action_open_items()
        self.assertEqual((action["res_model"], action["res_id"], action["target"]), (line._name, line.id, "new"))
        view = self.env["ir.ui.view"].browse(action["views"][0][0])
        return Form(line.env[action["res_model"]].browse(action["res_id"]), view=view.xml_id)

    def _untick(self, form, invoice):
        for index in range(len(form.overdue_item_ids)):
            with form.overdue_item_ids.edit(index) as item:
                if item.move_id == invoice:
                    item.selected = False

    def test_untick_an_item_amounts_and_notice_follow(self):
        self._credit_note(self.alpha, date(2026, 6, 1), 50)
        wizard = self._apply_as(self.accountant)
        line = self._line(wizard, self.alpha)
        self.assertEqual((line.amount_overdue, line.amount_credit, line.amount_net), (600, 50, 550))
        form = self._open_items(line)
        self.assertEqual(len(form.overdue_item_ids), 3)
        self.assertEqual(len(form.credit_item_ids), 1)
        self._untick(form, self.inv_200)
        # the totals follow while ticking, before anything is saved
        self.assertEqual((form.selected_amount_overdue, form.selected_amount_net), (400, 350))
        form.save()
        action = line.action_apply_items()
        self.assertEqual((action["res_model"], action["res_id"]), ("dunning.notice.send", wizard.id))
        self.assertEqual((line.amount_overdue, line.amount_credit, line.amount_net), (400, 50, 350))
        self.assertEqual(line.invoice_count, 2)
        self.assertEqual(line.invoice_names, ", ".join(sorted([self.inv_100.name, self.inv_300.name])))
        self.assertEqual(line.max_days_overdue, (AS_OF - date(2026, 5, 31)).days)
        self.assertEqual(wizard.amount_net, 350)
        # opened again, the item is still unticked: the choice holds for this run
        self._open_items(line)
        self.assertEqual(line.overdue_item_ids.sorted("date_maturity").mapped("selected"), [True, False, True])
        with freeze_time(AS_OF), self.mock_mail_gateway():
            wizard.action_send()
        notice = wizard.notice_ids
        self.assertEqual(notice.state, "done")
        self.assertEqual(notice._get_overdue_lines().move_id, self.inv_100 | self.inv_300)
        self.assertEqual(notice.amount_net, 350)
        self.assertNotIn(self.inv_200.name, self._new_mails.body_html)
        self.assertIn(self.inv_300.name, self._new_mails.body_html)
        # for this run only: the next run lists the item again
        line = self._line(self._apply_as(self.accountant, AS_OF + timedelta(days=1)), self.alpha)
        self.assertIn(self.inv_200.name, line.invoice_names)

    def test_back_keeps_the_line_and_untick_all_is_refused(self):
        wizard = self._apply_as(self.accountant)
        line = self._line(wizard, self.alpha)
        form = self._open_items(line)
        self._untick(form, self.inv_200)
        form.save()
        line.action_discard_items()
        self.assertEqual(line.overdue_item_ids.mapped("selected"), [True, True, True])
        self.assertEqual(line.amount_overdue, 600)
        form = self._open_items(line)
        for invoice in (self.inv_100, self.inv_200, self.inv_300):
            self._untick(form, invoice)
        form.save()
        with self.assertRaisesRegex(UserError, "Alpha Corp"):
            line.action_apply_items()
        self.assertEqual(line.amount_overdue, 600)

    def test_last_notice_column(self):
        wizard = self._apply_as(self.accountant)
        self.assertFalse(self._line(wizard, self.alpha).last_notice_info)
        with freeze_time(AS_OF), self.mock_mail_gateway():
            wizard.action_send()
        notice = wizard.notice_ids
        line = self._line(self._apply_as(self.accountant, AS_OF + timedelta(days=5)), self.alpha)
        self.assertEqual(line.last_notice_id, notice)
        self.assertIn(notice.name, line.last_notice_info)
        self.assertIn(self.level_all.name, line.last_notice_info)
        self.assertIn("06/30/2026", line.last_notice_info)
        # a notice that failed is not the last one delivered
        notice._write_state({"state": "error", "error_message": "SMTP down"})
        line.invalidate_recordset(["last_notice_id", "last_notice_info"])
        self.assertFalse(line.last_notice_info)

    def test_access_items_are_their_run_owners_and_only_the_tick_changes(self):
        wizard = self._apply_as(self.accountant)
        line = self._line(wizard, self.alpha)
        line.action_open_items()
        item = line.overdue_item_ids[0]
        other_env = item.with_user(self.other_accountant)
        with self.assertRaises(AccessError):
            other_env.read(["selected"])
        with self.assertRaises(AccessError):
            line.with_user(self.other_accountant).action_open_items()
        # the run's owner ticks, nothing else: not another journal item, nor new items
        stranger = self._invoice(self.beta, date(2026, 5, 1), 999, due=date(2026, 5, 31))
        receivable = stranger.line_ids.filtered(lambda aml: aml.account_type == "asset_receivable")
        with self.assertRaises(AccessError):
            item.write({"move_line_id": receivable.id})
        with self.assertRaises(AccessError):
            line.write({"overdue_item_ids": [Command.create({"move_line_id": receivable.id})]})
        with self.assertRaises(AccessError):
            line.write({"item_ids": [Command.create({"move_line_id": receivable.id})]})
        with self.assertRaises(AccessError):
            self.env["dunning.notice.send.item"].with_user(self.accountant).create(
                {"line_id": line.id, "move_line_id": receivable.id}
            )
        item.write({"selected": False})
        self.assertFalse(item.selected)
        # a portal user has no access at all
        portal = new_test_user(self.env, login="dunning_portal_items", groups="base.group_portal")
        with self.assertRaises(AccessError):
            item.with_user(portal).read(["selected"])
        # a sent run's items are no longer chosen
        item.write({"selected": True})
        with freeze_time(AS_OF), self.mock_mail_gateway():
            wizard.action_send()
        with self.assertRaisesRegex(UserError, "already sent"):
            line.action_apply_items()
        with self.assertRaises(UserError):
            line.action_open_items()

    def test_left_out_customer_items_cannot_be_opened(self):
        self.alpha.dunning_hold = True
        line = self._line(self._apply_as(self.accountant), self.alpha)
        self.assertTrue(line.excluded)
        with self.assertRaisesRegex(UserError, "Alpha Corp"):
            line.action_open_items()
