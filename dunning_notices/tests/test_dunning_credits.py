from datetime import date

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged

from .common import AS_OF, DunningTestCommon


@tagged("post_install", "-at_install")
class TestDunningCredits(DunningTestCommon):
    """Issue 11: what the customer really owes. Known numbers, through the wizard as a user fills it;
    each test checks the wizard line, the notice, its lines and the notice's text."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.level_all = cls._create_level_all()

    def _payment(self, partner, amount, pay_date, currency=None):
        """A customer payment received and posted, matched to no invoice."""
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": partner.id,
                "amount": amount,
                "date": pay_date,
                "currency_id": (currency or self.currency).id,
                "journal_id": self.company_data["default_journal_bank"].id,
            }
        )
        payment.action_post()
        return payment

    def _apply_level(self, level=None, partners=None, **values):
        form = self._wizard_form(level_id=level or self.level_all, **values)
        for partner in partners or []:
            form.partner_ids.add(partner)
        return self._apply(form)

    def _send_line(self, wizard, partner):
        """Send the notice of ``partner`` alone, printed (its PDF renders as HTML in tests)."""
        with Form(wizard) as wizard_form:
            for index in range(len(wizard_form.line_ids)):
                with wizard_form.line_ids.edit(index) as line:
                    mine = line.partner_id == partner
                    line.to_print = mine
                    line.to_email = False
        with self.mock_mail_gateway():
            wizard.action_send()
        return wizard.notice_ids.filtered(lambda n: n.partner_id == partner)

    def _notice_text(self, notice):
        html, _type = self.env["ir.actions.report"]._render_qweb_html(
            "dunning_notices.report_dunning_notice", notice.ids
        )
        return html.decode()

    # -------------------------------------------------------------------------

    def test_credits_netted_on_wizard_notice_lines_and_pdf(self):
        inv_1200 = self._invoice(self.alpha, date(2026, 5, 1), 1200, due=date(2026, 5, 31))
        inv_300 = self._invoice(self.alpha, date(2026, 5, 10), 300, due=date(2026, 6, 9))
        refund = self._credit_note(self.alpha, date(2026, 6, 1), 250)
        payment = self._payment(self.alpha, 150, date(2026, 6, 5))
        wizard = self._apply_level()
        line = self._line(wizard, self.alpha)
        self.assertFalse(line.excluded)
        self.assertRecordValues(line, [{"amount_overdue": 1500.0, "amount_credit": 400.0, "amount_net": 1100.0}])
        self.assertIn("1,100.00", line.amount_summary)
        self.assertEqual(wizard.amount_net, sum(wizard.line_ids.mapped("amount_net")))

        notice = self._send_line(wizard, self.alpha)
        self.assertEqual(notice.state, "done", notice.error_message)
        self.assertRecordValues(notice, [{"amount_overdue": 1500.0, "amount_credit": 400.0, "amount_net": 1100.0}])
        self.assertEqual(notice._get_overdue_lines().move_id, inv_1200 | inv_300)
        open_credits = notice._get_credit_lines()
        self.assertEqual(open_credits.move_id, refund | payment.move_id)
        self.assertEqual(sorted(open_credits.mapped("amount_residual")), [-250.0, -150.0])
        text = self._notice_text(notice)
        for expected in ("Credits and unapplied payments", refund.name, payment.move_id.name, "Net amount due"):
            self.assertIn(expected, text)
        self.assertIn("1,100.00", text)
        self.assertIn("1,500.00", text)

    def test_minimum_applies_to_the_net_in_net_mode_only(self):
        self._invoice(self.alpha, date(2026, 5, 1), 1200, due=date(2026, 5, 31))
        self._invoice(self.alpha, date(2026, 5, 10), 300, due=date(2026, 6, 9))
        self._credit_note(self.alpha, date(2026, 6, 1), 250)
        self._payment(self.alpha, 150, date(2026, 6, 5))
        self.level_all.min_amount_overdue = 1200
        line = self._line(self._apply_level(), self.alpha)
        self.assertTrue(line.excluded)
        self.assertEqual(line.exclusion_reason, "below_min_amount")
        self.assertIn("1,100.00", line.exclusion_detail)
        self.assertIn("1,200.00", line.exclusion_detail)
        with self.assertRaises(ValidationError):
            line.to_email = True
        self.level_all.credit_handling = "show"
        line = self._line(self._apply_level(), self.alpha)
        self.assertFalse(line.excluded)
        self.assertRecordValues(line, [{"amount_overdue": 1500.0, "amount_credit": 400.0, "amount_net": 1500.0}])
        notice = self._send_line(line.wizard_id, self.alpha)
        self.assertEqual(notice.amount_net, 1500.0)
        self.assertIn("Credits (not deducted)", self._notice_text(notice))

    def test_ignore_mode_is_the_gross_overdue(self):
        self._invoice(self.alpha, date(2026, 5, 1), 1200, due=date(2026, 5, 31))
        self._credit_note(self.alpha, date(2026, 6, 1), 250)
        self.level_all.credit_handling = "ignore"
        line = self._line(self._apply_level(), self.alpha)
        self.assertRecordValues(line, [{"amount_overdue": 1200.0, "amount_credit": 0.0, "amount_net": 1200.0}])
        notice = self._send_line(line.wizard_id, self.alpha)
        self.assertFalse(notice._get_credit_lines())
        self.assertNotIn("Credits and unapplied payments", self._notice_text(notice))

    def test_payment_covering_the_overdue_leaves_the_customer_out(self):
        self._invoice(self.beta, date(2026, 6, 1), 80, due=date(2026, 6, 2))
        self._payment(self.beta, 120, date(2026, 6, 20))
        line = self._line(self._apply_level(), self.beta)
        self.assertTrue(line.excluded)
        self.assertEqual(line.exclusion_reason, "credits_cover")
        self.assertRecordValues(line, [{"amount_overdue": 80.0, "amount_credit": 120.0, "amount_net": 0.0}])
        self.assertIn("120.00", line.exclusion_detail)

    def test_credit_in_another_currency_is_not_offset(self):
        eur = self.setup_other_currency("EUR", rates=[("2026-01-01", 2.0)])
        self._invoice(self.carol, date(2026, 6, 1), 600, due=date(2026, 6, 2), currency=eur)
        refund = self._credit_note(self.carol, date(2026, 6, 3), 100)
        line = self._line(self._apply_level(), self.carol)
        self.assertFalse(line.excluded)
        # 600 EUR at 2 EUR to the company's 1: 300 due; the company-currency credit offsets nothing
        self.assertRecordValues(line, [{"amount_overdue": 300.0, "amount_credit": 0.0, "amount_net": 300.0}])
        notice = self._send_line(line.wizard_id, self.carol)
        self.assertEqual(notice.amount_net, 300.0)
        self.assertEqual(notice._get_credit_lines().move_id, refund)
        summary = {row["currency"]: row for row in notice._get_currency_summary()}
        self.assertEqual((summary[eur]["net"], summary[eur]["offset"]), (600.0, True))
        self.assertEqual((summary[self.currency]["credit"], summary[self.currency]["offset"]), (100.0, False))
        self.assertIn("Credits not offset", self._notice_text(notice))

    def test_opening_balance_entry_is_dunned_with_its_number(self):
        journal = self.company_data["default_journal_misc"]
        receivable = self.company_data["default_account_receivable"]
        entry = self.env["account.move"].create(
            {
                "move_type": "entry",
                "journal_id": journal.id,
                "date": date(2026, 5, 16),
                "ref": "Opening balance",
                "line_ids": [
                    Command.create(
                        {
                            "name": "Opening balance Dan",
                            "account_id": receivable.id,
                            "partner_id": self.dan.id,
                            "debit": 450,
                            "date_maturity": date(2026, 5, 16),
                        }
                    ),
                    Command.create(
                        {
                            "name": "Opening balance Dan",
                            "account_id": self.company_data["default_account_revenue"].id,
                            "credit": 450,
                        }
                    ),
                ],
            }
        )
        entry.action_post()
        line = self._line(self._apply_level(), self.dan)
        self.assertFalse(line.excluded)
        self.assertEqual((line.amount_overdue, line.max_days_overdue), (450.0, 45))
        self.assertIn(entry.name, line.invoice_names)
        notice = self._send_line(line.wizard_id, self.dan)
        self.assertEqual(notice._get_overdue_lines().move_id, entry)
        self.assertIn(entry.name, self._notice_text(notice))

    def test_blocked_or_in_payment_invoice_is_not_dunned(self):
        blocked = self._invoice(self.beta, date(2026, 6, 1), 500, due=date(2026, 6, 2))
        blocked.action_toggle_block_payment()
        self.assertEqual(blocked.payment_state, "blocked")
        in_payment = self._invoice(self.carol, date(2026, 6, 1), 200, due=date(2026, 6, 2))
        in_payment.payment_state = "in_payment"  # paid, the bank statement not matched yet
        wizard = self._apply_level()
        for partner, amount in ((self.beta, 500.0), (self.carol, 200.0)):
            line = self._line(wizard, partner)
            self.assertEqual(line.exclusion_reason, "all_blocked")
            self.assertEqual(line.amount_overdue, amount)
        # one overdue invoice left beside a blocked one: listed, for that one only
        other = self._invoice(self.beta, date(2026, 6, 5), 70, due=date(2026, 6, 6))
        line = self._line(self._apply_level(), self.beta)
        self.assertFalse(line.excluded)
        self.assertEqual(line.move_line_ids.move_id, other)
        self.assertEqual(line.amount_overdue, 70.0)

    def test_archived_customer_left_out_unless_picked(self):
        self._invoice(self.alpha, date(2026, 6, 1), 90, due=date(2026, 6, 2))
        self.alpha.action_archive()
        line = self._line(self._apply_level(), self.alpha)
        self.assertEqual(line.exclusion_reason, "archived")
        self.assertIn("90.00", line.exclusion_detail)
        line = self._line(self._apply_level(partners=[self.alpha]), self.alpha)
        self.assertFalse(line.excluded)
        self.assertEqual(line.amount_net, 90.0)

    def test_picked_customer_with_nothing_overdue(self):
        self._invoice(self.beta, date(2026, 6, 20), 90, due=date(2026, 7, 20))  # not due yet
        wizard = self._apply_level(partners=[self.beta])
        self.assertFalse(wizard.line_ids)
        self.assertEqual(self._line(wizard, self.beta).exclusion_reason, "no_overdue")
        self.assertEqual((wizard.line_count, wizard.excluded_count), (0, 1))

    def test_paid_between_apply_and_send_is_not_asked_for(self):
        first = self._invoice(self.alpha, date(2026, 6, 1), 400, due=date(2026, 6, 2))
        second = self._invoice(self.alpha, date(2026, 6, 3), 100, due=date(2026, 6, 4))
        only = self._invoice(self.beta, date(2026, 6, 1), 60, due=date(2026, 6, 2))
        wizard = self._apply_level()
        self.assertEqual(self._line(wizard, self.alpha).amount_net, 500.0)
        # payments arrive while the accountant reviews the list
        self._pay(first, 400, date(2026, 6, 29))
        self._pay(second, 30, date(2026, 6, 29))
        self._pay(only, 60, date(2026, 6, 29))
        wizard.line_ids.write({"to_print": True, "to_email": False})
        with self.mock_mail_gateway():
            wizard.action_send()
            self._run_queue()  # the snapshot is taken when the queue processes the letters
        alpha = wizard.notice_ids.filtered(lambda n: n.partner_id == self.alpha)
        beta = wizard.notice_ids.filtered(lambda n: n.partner_id == self.beta)
        self.assertEqual(alpha.state, "done")
        self.assertEqual(alpha._get_overdue_lines().move_id, second)
        self.assertEqual((alpha.amount_overdue, alpha.amount_net), (70.0, 70.0))
        self.assertNotIn(first.name, self._notice_text(alpha))
        self.assertEqual(beta.state, "cancel")
        self.assertIn("Settled before sending", beta.cancel_reason)
        self.assertFalse(beta.message_id)
        self.assertFalse(beta.pdf_attachment_id)

    def test_emails_show_credits_and_net(self):
        self._invoice(self.alpha, date(2026, 5, 1), 1200, due=date(2026, 5, 31))
        refund = self._credit_note(self.alpha, date(2026, 6, 1), 250)
        wizard = self._apply_level(partners=[self.alpha])
        with self.mock_mail_gateway():
            wizard.action_send()
        notice = wizard.notice_ids
        self.assertTrue(notice.to_email)
        mail = self.env["mail.mail"].search([("mail_message_id", "=", notice.message_id.id)])
        for expected in ("Credits and unapplied payments", refund.name, "Net amount due", "950.00"):
            self.assertIn(expected, mail.body_html)

    def test_as_of_date_sets_the_days_amounts_are_today(self):
        """The as-of date counts days; a payment dated after it still reduces what is asked."""
        invoice = self._invoice(self.alpha, date(2026, 5, 1), 1000, due=date(2026, 5, 2))
        self._pay(invoice, 600, date(2026, 7, 10))
        line = self._line(self._apply_level(as_of_date=AS_OF), self.alpha)
        self.assertEqual((line.max_days_overdue, line.amount_overdue), (59, 400.0))

    def test_payment_recorded_after_apply_filters_is_deducted(self):
        self._invoice(self.alpha, date(2026, 6, 1), 700, due=date(2026, 6, 2))
        wizard = self._apply_level(partners=[self.alpha])
        self.assertEqual(self._line(wizard, self.alpha).amount_net, 700.0)
        payment = self._payment(self.alpha, 200, date(2026, 6, 29))  # arrives while the list is reviewed
        notice = self._send_line(wizard, self.alpha)
        self.assertEqual((notice.amount_overdue, notice.amount_credit, notice.amount_net), (700.0, 200.0, 500.0))
        self.assertEqual(notice._get_credit_lines().move_id, payment.move_id)
        self.assertEqual(notice._get_credit_lines().invoice_date, date(2026, 6, 29), "a payment shows its date")

    def test_attach_invoices_with_credits_and_an_opening_balance(self):
        """Only invoices have an invoice PDF: credits and journal entries on the notice are not attached."""
        invoice = self._invoice(self.dan, date(2026, 6, 1), 500, due=date(2026, 6, 2))
        self._credit_note(self.dan, date(2026, 6, 3), 50)
        entry = self.env["account.move"].create(
            {
                "move_type": "entry",
                "date": date(2026, 5, 16),
                "line_ids": [
                    Command.create(
                        {
                            "name": "Opening balance",
                            "account_id": self.company_data["default_account_receivable"].id,
                            "partner_id": self.dan.id,
                            "debit": 100,
                            "date_maturity": date(2026, 5, 16),
                        }
                    ),
                    Command.create(
                        {
                            "name": "Opening",
                            "account_id": self.company_data["default_account_revenue"].id,
                            "credit": 100,
                        }
                    ),
                ],
            }
        )
        entry.action_post()
        form = self._wizard_form(level_id=self.level_all, attach_invoices=True)
        form.partner_ids.add(self.dan)
        wizard = self._apply(form)
        wizard.line_ids.write({"to_email": True, "to_print": False, "extra_emails": "dan@example.com"})
        with self.mock_mail_gateway():
            wizard.action_send()
        notice = wizard.notice_ids
        self.assertEqual(notice.state, "done", notice.error_message)
        self.assertEqual(notice._get_overdue_lines().move_id, invoice | entry)
        self.assertEqual(len(notice.invoice_attachment_ids), 1)
        self.assertIn(invoice.name.replace("/", "_"), notice.invoice_attachment_ids.name)
