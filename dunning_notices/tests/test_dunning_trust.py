from contextlib import contextmanager
from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import AS_OF, DunningTestCommon


@tagged("post_install", "-at_install")
class TestDunningTrustSecondPass(DunningTestCommon):
    """Issue 23: what a probe over RPC and HTTP found leaking or skipped, each case as the user made it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alpha_inv = cls._invoice(cls.alpha, date(2026, 6, 10), 500, due=date(2026, 6, 20))
        cls.beta_inv = cls._invoice(cls.beta, date(2026, 6, 1), 2000, due=date(2026, 6, 15))
        cls.other = cls.setup_other_company(name="Company B")["company"]
        cls.other_billing = new_test_user(
            cls.env,
            login="trust_other_billing",
            groups="base.group_user,account.group_account_invoice",
            company_id=cls.other.id,
            company_ids=[Command.set(cls.other.ids)],
        )
        cls.employee = new_test_user(
            cls.env,
            login="trust_employee",
            groups="base.group_user",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.portal = new_test_user(cls.env, login="trust_portal", groups="base.group_portal")
        cls.company_b_customer = cls.env["res.partner"].create({"name": "B Only Customer", "company_id": cls.other.id})

    @contextmanager
    def assertRaisesRegex(self, exception, regex):
        """Odoo rolls a failed write back only in ``assertRaises``: keep it, and match the message."""
        with self.assertRaises(exception) as caught:
            yield caught
        self.assertRegex(str(caught.exception), regex)

    def _customer_messages(self, partner, user=None):
        env = self.env(user=user) if user else self.env
        return env["mail.message"].search([("model", "=", "res.partner"), ("res_id", "=", partner.id)])

    # 1. notice PDFs: the accounting users of the notice's company only ----------------------------

    def test_notice_pdf_renders_for_its_company_accountants_only(self):
        notices, _mails = self._send_to(self.alpha, self.level_early)
        # the production path (in tests Odoo renders HTML unless asked): the stored PDF, or nothing
        report = self.env["ir.actions.report"].with_context(force_report_rendering=True)
        content, _type = report.with_user(self.accountant)._render_qweb_pdf(
            "dunning_notices.report_dunning_notice", notices.ids
        )
        self.assertEqual(content, notices.pdf_attachment_id.raw)
        for user in (self.portal, self.employee, self.other_billing):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                report.with_user(user)._render_qweb_pdf("dunning_notices.report_dunning_notice", notices.ids)

    # 2. the email lives on the notice; the customer's chatter gets a log without amounts --------

    def test_email_lives_on_the_notice_and_the_customer_gets_a_log_without_amounts(self):
        before = self._customer_messages(self.alpha)
        notices, mails = self._send_to(self.alpha, self.level_early, email=True)
        message = notices.message_id
        self.assertEqual((message.model, message.res_id), ("dunning.notice", notices.id))
        self.assertEqual(mails.mail_message_id, message)
        self.assertIn("500.00", message.body)
        log = self._customer_messages(self.alpha) - before
        self.assertEqual(len(log), 1, "one log line per notice on the customer")
        self.assertIn(notices.name, log.body)
        self.assertIn(self.level_early.name, log.body)
        self.assertIn("email", log.body)
        self.assertIn(f'data-oe-model="dunning.notice" data-oe-id="{notices.id}"', log.body)
        self.assertNotIn("500.00", log.body, "no amount (the notice's id may be 500)")
        self.assertFalse(log.attachment_ids)
        self.assertFalse(self.env["mail.mail"].search([("mail_message_id", "=", log.id)]))

    def test_other_company_reads_only_the_log_of_a_shared_customer(self):
        """Alpha has no company: company B sees its chatter, not company A's notice, amounts or pay link."""
        self.assertFalse(self.alpha.company_id)
        notices, _mails = self._send_to(self.alpha, self.level_early, email=True)
        seen_by_b = self._customer_messages(self.alpha, user=self.other_billing)
        self.assertTrue(seen_by_b)
        self.assertNotIn(notices.message_id, seen_by_b)
        for body in seen_by_b.mapped("body"):
            self.assertNotIn("500.00", body, "no amount (the notice's id may be 500)")
            self.assertNotIn("/dunning/pay/", body)
        with self.assertRaises(AccessError):
            notices.message_id.with_user(self.other_billing).read(["body"])
        with self.assertRaises(AccessError):
            notices.pdf_attachment_id.with_user(self.other_billing).read(["raw"])

    def test_printed_notice_keeps_its_pdf_on_the_notice(self):
        notices, _mails = self._send_to(self.alpha, self.level_early)
        message = notices.message_id
        self.assertEqual((message.model, message.res_id), ("dunning.notice", notices.id))
        self.assertEqual(message.attachment_ids, notices.pdf_attachment_id)
        log = self._customer_messages(self.alpha).filtered(lambda m: notices.name in (m.body or ""))
        self.assertEqual(len(log), 1)
        self.assertIn("print", log.body)
        self.assertFalse(log.attachment_ids)
        # an internal user without accounting rights sees the log line, not the notice nor its PDF
        self.assertIn(log, self._customer_messages(self.alpha, user=self.employee))
        with self.assertRaises(AccessError):
            notices.pdf_attachment_id.with_user(self.employee).read(["raw"])

    # 3. From and Reply-To: the sender user's or the company's, never typed ---------------------

    def test_sender_cannot_be_forged(self):
        form = self._wizard_form(user=self.accountant)
        form.partner_ids.add(self.alpha)
        wizard = form.save()
        # what a billing user can send over RPC
        wizard.write({"sender_email": "ceo@bank.example", "sender_name": "CEO of Bank"})
        wizard.action_apply_filters()
        wizard.line_ids.write({"to_print": False, "to_email": True})
        with self.mock_mail_gateway():
            wizard.action_send()
            mails = self._new_mails
        notice = wizard.notice_ids
        self.assertEqual(notice.sender_email, "anna@company.example.com")
        self.assertIn("anna@company.example.com", mails.email_from)
        self.assertNotIn("bank.example", f"{mails.email_from} {mails.reply_to}")
        self.assertNotIn("CEO of Bank", mails.email_from)
        notices = self.env["dunning.notice"].sudo()
        with self.assertRaisesRegex(ValidationError, "not from ceo@bank.example"):
            notice.sudo().write({"sender_email": "ceo@bank.example"})
        with self.assertRaisesRegex(ValidationError, "cannot send the dunning notices"):
            notices.browse(notice.id).write({"sender_user_id": self.other_billing.id})

    # 4. a picked customer the user cannot read never widens the run ----------------------------

    def test_unreadable_pick_is_refused_not_widened(self):
        wizard = self._wizard_form(user=self.accountant).save()
        wizard.write({"partner_ids": [Command.set(self.company_b_customer.ids)]})
        self.env.invalidate_all()  # Apply Filters comes in another request, which reads the wizard anew
        with self.assertRaisesRegex(UserError, "company you cannot access"):
            wizard.action_apply_filters()
        self.assertFalse(wizard.sudo().line_ids)

    # 5. the rules apply again when the notice is sent ------------------------------------------

    def test_review_run_sent_after_a_hold_leaves_the_customer_out(self):
        form = self._wizard_form(user=self.accountant)
        wizard = self._apply(form)
        wizard.line_ids.write({"to_print": False, "to_email": True})
        wizard.action_save_for_review()
        run = wizard.notice_ids.run_id
        self.alpha.with_user(self.accountant).write({"dunning_hold": True, "dunning_hold_reason": "Talks"})
        with self.mock_mail_gateway():
            action = run.with_user(self.accountant).action_send()
            mails = self._new_mails
        self.assertIn("1 left out when sent", action["params"]["message"])
        alpha = run.notice_ids.filtered(lambda n: n.partner_id == self.alpha)
        self.assertEqual(alpha.state, "cancel")
        self.assertIn("on dunning hold", alpha.cancel_reason)
        self.assertEqual(alpha.name, "/", "a notice left out uses no number")
        self.assertNotIn(self.alpha, mails.recipient_ids.commercial_partner_id)
        left_out = run.left_out_ids.filtered(lambda r: r.partner_id == self.alpha)
        self.assertEqual(left_out.reason, "on_hold")
        beta = run.notice_ids.filtered(lambda n: n.partner_id == self.beta)
        self.assertEqual(beta.state, "done")

    def test_queued_notices_apply_the_interval_and_the_amount_range_when_processed(self):
        self.company.dunning_min_interval_days = 10
        # queued by a run, not processed yet
        form = self._wizard_form(level_id=self.level_big)
        form.partner_ids.add(self.alpha)
        form.partner_ids.add(self.beta)
        wizard = self._apply(form)
        self.assertEqual(wizard.line_ids.partner_id, self.beta, "alpha owes 500, under the level's 1,000")
        wizard.line_ids.write({"to_print": True})
        queued_beta = wizard._create_run("sent")
        self.assertEqual(queued_beta.state, "queued")
        # meanwhile beta pays 1,500 of its 2,000: below the level's minimum when the queue runs
        self._pay(self.beta_inv, 1500, AS_OF)
        # and alpha, queued by another run of the early level, is reminded by a third in between
        alpha_form = self._wizard_form(level_id=self.level_early)
        alpha_form.partner_ids.add(self.alpha)
        alpha_wizard = self._apply(alpha_form)
        alpha_wizard.line_ids.write({"to_print": True})
        queued_alpha = alpha_wizard._create_run("sent")
        delivered, _mails = self._send_to(self.alpha, self.level_late, as_of_date=date(2026, 7, 25))
        self.assertEqual(delivered.state, "done")
        with freeze_time("2026-07-27"), self.mock_mail_gateway():
            self.env["dunning.notice"]._cron_process_queue()
        self.assertEqual(queued_beta.state, "cancel")
        self.assertIn("Below the level's minimum", queued_beta.cancel_reason)
        left_out = queued_beta.run_id.left_out_ids.filtered(lambda r: r.partner_id == self.beta)
        self.assertEqual(left_out.reason, "below_min_amount")
        self.assertFalse(queued_beta.message_id)
        self.assertEqual(queued_alpha.state, "cancel")
        left_out = queued_alpha.run_id.left_out_ids
        self.assertEqual((left_out.reason, left_out.notice_id), ("min_interval", delivered))

    # 7. extra addresses: bounded, valid, and told when typed --------------------------------------

    def _line_form(self, user=None):
        form = self._wizard_form(user=user)
        form.partner_ids.add(self.alpha)
        wizard = self._apply(form)
        return wizard, wizard.line_ids

    def test_extra_emails_are_bounded_when_typed(self):
        self.company.dunning_max_extra_emails = 3
        _wizard, line = self._line_form()
        with self.assertRaisesRegex(ValidationError, "4 additional emails, at most 3"):
            line.write({"extra_emails": ",".join(f"a{i}@example.com" for i in range(4))})
        line.write({"extra_emails": "a1@example.com, a2@example.com; a3@example.com"})
        self.assertEqual(len(line._split_extra_emails()), 3)
        with self.assertRaises(ValidationError):
            self.company.dunning_max_extra_emails = 0

    def test_email_without_local_part_or_domain_is_refused(self):
        _wizard, line = self._line_form()
        for bad in ("<script>@x.com", "@x.com", "nobody@", "a@b"):
            with self.subTest(email=bad), self.assertRaisesRegex(ValidationError, "invalid email address"):
                line.write({"extra_emails": bad})
        line.write({"extra_emails": '"Accounts" <accounts@alpha.example.com>'})

    def test_user_without_contact_creation_is_told_when_ticking_email(self):
        self.assertFalse(self.env["res.partner"].with_user(self.accountant).has_access("create"))
        wizard, line = self._line_form(user=self.accountant)
        # what the web client saves when the line's Email is ticked with an unknown address (the column is
        # optional in the list: 19.0's Form leaves such a column out, so the save is written as the client does)
        self.assertEqual(line.env.user, self.accountant)
        with self.assertRaisesRegex(ValidationError, "may not create contacts"):
            wizard.write(
                {
                    "line_ids": [
                        Command.update(
                            line.id, {"to_email": True, "extra_emails": "unknown.person@elsewhere.example.com"}
                        )
                    ]
                }
            )
        # an address of an existing contact needs no creation
        line.write({"to_email": True, "extra_emails": "ap@alpha.example.com"})
        self.assertEqual(line._split_extra_emails(), ["ap@alpha.example.com"])

    # 9. a dispute always says why ------------------------------------------------------------------

    def test_dispute_reason_is_required_by_the_model(self):
        with self.assertRaisesRegex(ValidationError, "needs the reason of the dispute"):
            self.alpha_inv.write({"dunning_blocked": True})
        with self.assertRaisesRegex(ValidationError, "needs the reason"):
            self.alpha_inv.write({"dunning_blocked": True, "dunning_block_reason": "   "})
        self.alpha_inv.write({"dunning_blocked": True, "dunning_block_reason": "Damaged goods"})
        self.assertTrue(self.alpha_inv.dunning_blocked)
