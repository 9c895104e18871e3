from datetime import date, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .common import AS_OF, DunningTestCommon


@tagged("post_install", "-at_install")
class TestDunningRun(DunningTestCommon):
    """Issue 14: a record of every run, review before sending, automatic runs per level, the wizard's
    two steps and its Print all / Email all / None."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alpha_inv = cls._invoice(cls.alpha, date(2026, 6, 10), 500, due=date(2026, 6, 20))
        cls.beta_inv = cls._invoice(cls.beta, date(2026, 6, 1), 200, due=date(2026, 6, 15))
        cls.carol_inv = cls._invoice(cls.carol, date(2026, 6, 20), 100, due=date(2026, 6, 25))
        cls.dan_inv = cls._invoice(cls.dan, date(2026, 6, 1), 50, due=date(2026, 6, 5))
        cls.internal_user = new_test_user(
            cls.env,
            login="dunning_run_internal",
            groups="base.group_user",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    def _apply_as_accountant(self, **values):
        return self._apply(self._wizard_form(user=self.accountant, **values))

    def _notice_sequence_next(self):
        # the next number of the company's notices, read without taking it
        sequence = self.env["dunning.notice"]._get_notice_sequence(self.company)
        return sequence._get_current_sequence(AS_OF).number_next_actual

    def test_a_run_per_send_with_its_counts_and_reasons(self):
        self.beta.dunning_hold = True
        wizard = self._apply_as_accountant()
        self.assertEqual(self._line(wizard, self.beta).exclusion_reason, "on_hold")
        with freeze_time(AS_OF), self.mock_mail_gateway():
            wizard.action_send()
            self._run_queue()  # the PDFs render in the background
        run = wizard.notice_ids.run_id
        self.assertEqual(len(run), 1)
        self.assertEqual(run.state, "sent")
        self.assertEqual((run.user_id, run.level_id, run.as_of_date), (self.accountant, self.level_early, AS_OF))
        self.assertEqual(run.notice_ids, wizard.notice_ids)
        self.assertEqual(run.notice_count, 3)
        # Alpha and Carol by email, Dan (no address) printed
        self.assertEqual((run.emailed_count, run.printed_count, run.failed_count), (2, 1, 0))
        self.assertEqual(run.amount_net, 500 + 100 + 50)
        self.assertEqual(run.left_out_ids.partner_id, self.beta)
        self.assertEqual(run.left_out_ids.reason, "on_hold")
        self.assertIn("dunning hold", run.left_out_ids.detail)
        self.assertEqual(run.left_out_count, 1)
        self.assertIn("Customer on dunning hold: 1", run.left_out_summary)
        self.assertEqual(run.filter_summary, "All customers")
        self.assertEqual(len(self._new_mails), 2)

    def test_run_keeps_its_filters(self):
        form = self._wizard_form(user=self.accountant, customer_type="company")
        form.category_ids.add(self.tag_vip)
        wizard = self._apply(form)
        self.assertEqual(wizard.line_ids.partner_id, self.beta)
        wizard.action_save_for_review()
        run = wizard.notice_ids.run_id
        self.assertEqual((run.customer_type, run.category_ids), ("company", self.tag_vip))
        self.assertEqual(run.filter_summary, "Companies; Tags: VIP")
        self.assertIn(run.filter_summary, wizard.run_summary)

    def test_review_preview_then_send(self):
        wizard = self._apply_as_accountant()
        before = self._notice_sequence_next()
        with self.mock_mail_gateway():
            action = wizard.action_save_for_review()
        run = wizard.notice_ids.run_id
        self.assertEqual((action["res_model"], action["res_id"]), ("dunning.run", run.id))
        self.assertEqual(run.state, "draft")
        self.assertEqual(set(run.notice_ids.mapped("state")), {"draft"})
        self.assertEqual(set(run.notice_ids.mapped("name")), {"/"})
        self.assertFalse(self._new_mails)
        self.assertFalse(run.notice_ids.line_ids, "nothing is snapshotted before the run is sent")
        self.assertEqual(self._notice_sequence_next(), before, "no number used")
        # a draft never counts as delivered: the customer's last notice is still none
        again = self._apply_as_accountant(as_of_date=AS_OF + timedelta(days=1))
        self.assertFalse(self._line(again, self.alpha).last_notice_info)
        # the same level and date again: left out, the run to review named (its draft has no number yet)
        same_day = self._apply_as_accountant()
        left_out = same_day.excluded_line_ids.filtered(lambda line: line.partner_id == self.alpha)
        self.assertEqual(left_out.exclusion_reason, "duplicate")
        self.assertEqual(left_out.exclusion_detail, f"Run {run.name} holds this level's notice as of 06/30/2026.")

        alpha = run.notice_ids.filtered(lambda n: n.partner_id == self.alpha).with_user(self.accountant)
        preview = alpha.action_preview_pdf()
        self.assertEqual(preview["type"], "ir.actions.report")
        # rendered on the fly (HTML in tests, wkhtmltopdf needing a server), never stored for a draft: the
        # report's attachment name is empty until the notice is processed
        report = self.env["ir.actions.report"]._get_report(preview["report_name"])
        self.assertFalse(safe_eval(report.attachment, {"object": alpha}))
        html, _type = report.with_user(self.accountant)._render_qweb_html(report, alpha.ids)
        self.assertIn(self.alpha_inv.name, html.decode())
        # the email as the customer gets it: subject (DRAFT where the number will be), From, To, body
        email_action = alpha.action_preview_email()
        self.assertEqual((email_action["type"], email_action["report_type"]), ("ir.actions.report", "qweb-html"))
        email_report = self.env["ir.actions.report"]._get_report(email_action["report_name"])
        page, _type = email_report.with_user(self.accountant)._render_qweb_html(email_report, alpha.ids)
        page = page.decode()
        self.assertIn("Payment reminder (DRAFT)", page)
        self.assertNotIn("(/)", page)
        for text in (self.alpha_inv.name, "500.00", "ap@alpha.example.com", self.company.name):
            self.assertIn(text, page)
        self.assertFalse(self._new_mails, "nothing sent")
        # the reviewer leaves Carol out, then sends
        carol = run.notice_ids.filtered(lambda n: n.partner_id == self.carol).with_user(self.accountant)
        carol.action_review_leave_out()
        # listed on the run's Left Out, kept again from there, left out again: one row, whatever the clicks
        review_row = run.left_out_ids.filtered(lambda r: r.reason == "review")
        self.assertEqual((review_row.partner_id, review_row.notice_id), (self.carol, carol))
        self.assertIn("Left out in review: 1", run.left_out_summary)
        self.assertNotIn(carol, run.sent_notice_ids, "the notices the run sends, its Net Due")
        self.assertEqual(run.amount_net, sum(run.sent_notice_ids.mapped("amount_net")))
        review_row.with_user(self.accountant).action_review_include()
        self.assertFalse(carol.review_excluded)
        self.assertFalse(run.left_out_ids.filtered(lambda r: r.reason == "review"))
        carol.action_review_leave_out()
        carol.action_review_leave_out()
        self.assertEqual(len(run.left_out_ids.filtered(lambda r: r.reason == "review")), 1)
        with freeze_time(AS_OF), self.mock_mail_gateway():
            run.with_user(self.accountant).action_send()
            self._run_queue()
        self.assertEqual(run.state, "sent")
        self.assertEqual(carol.state, "cancel")
        run.invalidate_recordset()
        self.assertEqual(run.cancelled_notice_ids, carol)
        self.assertEqual(run.left_out_ids.filtered(lambda r: r.reason == "review").partner_id, self.carol)
        self.assertEqual(run.amount_net, sum(run.sent_notice_ids.mapped("amount_net")), "the list's total")
        self.assertEqual(run.level_display, run.level_id.name)
        self.assertEqual(carol.name, "/")
        kept = run.notice_ids - carol
        self.assertEqual(set(kept.mapped("state")), {"done"})
        self.assertNotIn("/", kept.mapped("name"))
        self.assertEqual(self._notice_sequence_next(), before + len(kept))
        self.assertEqual(self._new_mails.mapped("recipient_ids"), self.alpha_billing | self.beta, "Carol left out")
        self.assertTrue(alpha.line_ids, "the snapshot is taken when sent")
        self.assertTrue(safe_eval(report.attachment, {"object": alpha}), "stored once processed")
        with self.assertRaisesRegex(UserError, run.name):
            run.with_user(self.accountant).action_send()

    def test_run_story_in_the_company_language(self):
        """The run's chatter reads in its company's language, whoever clicked: a French company's run,
        sent by an English-speaking accountant, says "Lot envoyé par"; the left-out count is French."""
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["dunning_notices"], ["fr_FR"], overwrite=True)
        self.company.partner_id.lang = "fr_FR"
        self.accountant.lang = "en_US"
        wizard = self._apply_as_accountant()
        with self.mock_mail_gateway():
            wizard.action_save_for_review()
        run = wizard.notice_ids.run_id
        run.notice_ids.filtered(lambda n: n.partner_id == self.carol).with_user(
            self.accountant
        ).action_review_leave_out()
        self.assertIn("Left out in review: 1", run.left_out_summary, "the count in the reader's language")
        self.assertIn("Écarté à la vérification : 1", run.with_context(lang="fr_FR").left_out_summary)
        with freeze_time(AS_OF), self.mock_mail_gateway():
            run.with_user(self.accountant).action_send()
        self.assertTrue(
            any(f"Lot envoyé par {self.accountant.name}." in body for body in run.message_ids.mapped("body"))
        )

    def test_discard_uses_no_number(self):
        wizard = self._apply_as_accountant()
        before = self._notice_sequence_next()
        wizard.action_save_for_review()
        run = wizard.notice_ids.run_id
        run.with_user(self.accountant).action_discard()
        self.assertEqual(run.state, "discarded")
        self.assertEqual(set(run.notice_ids.mapped("state")), {"cancel"})
        self.assertEqual(self._notice_sequence_next(), before)
        # the customers can be reminded again for that date (a discarded notice is not a duplicate)
        with freeze_time(AS_OF), self.mock_mail_gateway():
            self._apply_as_accountant().action_send()
        with self.assertRaisesRegex(UserError, run.name):
            run.with_user(self.accountant).action_discard()

    def test_access_runs_are_server_written_and_per_company(self):
        self.beta.dunning_hold = True  # a customer left out: the run's left-out record
        wizard = self._apply_as_accountant()
        wizard.action_save_for_review()
        run = wizard.notice_ids.run_id
        self.assertEqual(run.left_out_ids.partner_id, self.beta)
        with self.assertRaises(AccessError):
            run.left_out_ids.with_user(self.accountant).write({"reason": "archived"})
        with self.assertRaises(AccessError):
            run.with_user(self.accountant).write({"state": "sent"})
        with self.assertRaises(AccessError):
            self.env["dunning.run"].with_user(self.accountant).create({"as_of_date": AS_OF, "date_basis": "due_date"})
        with self.assertRaises(AccessError):
            run.with_user(self.accountant).unlink()
        with self.assertRaises(AccessError):
            run.with_user(self.internal_user).action_send()
        with self.assertRaises(AccessError):
            run.notice_ids[0].with_user(self.internal_user).action_review_leave_out()
        other_company = self.setup_other_company(name="Run Company B")["company"]
        other = new_test_user(
            self.env,
            login="dunning_run_other_company",
            groups="base.group_user,account.group_account_manager",
            company_id=other_company.id,
            company_ids=[Command.set(other_company.ids)],
        )
        with self.assertRaises(AccessError):
            run.with_user(other).read(["name"])
        with self.assertRaises(AccessError):
            run.with_user(other).action_discard()
        with self.assertRaises(AccessError):
            run.left_out_ids.with_user(other).read(["reason"])
        portal = new_test_user(self.env, login="dunning_run_portal", groups="base.group_portal")
        with self.assertRaises(AccessError):
            run.with_user(portal).read(["name"])
        with self.assertRaises(AccessError):
            run.left_out_ids.with_user(portal).read(["reason"])
        # the email preview and the left-out customer kept again: the run's company's billing users only
        notice = run.notice_ids[0]
        notice.with_user(self.accountant).action_review_leave_out()
        review_row = run.left_out_ids.filtered(lambda r: r.reason == "review")
        preview = self.env.ref("dunning_notices.action_report_dunning_notice_email_preview")
        for user in (other, portal, self.internal_user):
            with self.assertRaises(AccessError):
                preview.with_user(user)._render_qweb_html(preview, notice.ids)
            with self.assertRaises(AccessError):
                notice.with_user(user).action_preview_email()
            with self.assertRaises(AccessError):
                review_row.with_user(user).action_review_include()
        self.assertTrue(notice.review_excluded)
        # an auditor reads, a manager sends
        auditor = new_test_user(
            self.env,
            login="dunning_run_auditor",
            groups="base.group_user,account.group_account_readonly",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        self.assertEqual(run.with_user(auditor).state, "draft")
        with self.assertRaises(AccessError):
            run.with_user(auditor).action_discard()
        run.with_user(self.env.user).action_discard()  # the accounting manager of the company
        self.assertEqual(run.state, "discarded")

    def test_wizard_two_steps_and_bulk_choices(self):
        form = self._wizard_form(user=self.accountant)
        wizard = form.save()
        wizard.action_apply_filters()
        self.assertTrue(wizard.filters_applied)
        self.assertIn(self.level_early.name, wizard.run_summary)
        wizard.action_print_all()
        self.assertEqual(set(wizard.line_ids.mapped("to_print")), {True})
        self.assertEqual(set(wizard.line_ids.mapped("to_email")), {False})
        wizard.action_none()
        self.assertFalse(any(wizard.line_ids.mapped("to_print") + wizard.line_ids.mapped("to_email")))
        wizard.action_email_all()
        by_partner = self._lines_by_partner(wizard)
        self.assertTrue(by_partner[self.alpha].to_email)
        self.assertFalse(by_partner[self.alpha].to_print)
        self.assertTrue(by_partner[self.dan].to_print, "no address: printed")
        self.assertFalse(by_partner[self.dan].to_email)
        action = wizard.action_back_to_filters()
        self.assertEqual((action["res_model"], action["res_id"]), (wizard._name, wizard.id))
        self.assertFalse(wizard.filters_applied)
        with Form(wizard) as wizard_form:
            wizard_form.level_id = self.level_late
        wizard.action_apply_filters()
        self.assertEqual(wizard.line_ids.partner_id, self.env["res.partner"], "nothing 31+ days overdue")
        with self.assertRaisesRegex(UserError, "Tick Print or Email"):
            wizard.action_save_for_review()


@tagged("post_install", "-at_install")
class TestDunningAutoRun(DunningTestCommon):
    """Automatic runs per level, by the daily cron, with frozen dates."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._invoice(cls.alpha, date(2026, 6, 10), 500, due=date(2026, 6, 20))
        cls._invoice(cls.dan, date(2026, 6, 1), 50, due=date(2026, 6, 5))
        cls._invoice(cls.beta, date(2026, 4, 1), 700, due=date(2026, 4, 30))  # 61 days: the late level
        cls.level_big.active = False

    def _auto(self, level, mode):
        level.write(
            {
                "auto_mode": mode,
                "auto_interval_number": 1,
                "auto_interval_type": "weeks",
                "auto_next_date": AS_OF,
                "auto_sender_user_id": self.accountant.id,
            }
        )

    def test_send_level_runs_once_a_day(self):
        self._auto(self.level_early, "send")
        with freeze_time(AS_OF), self.mock_mail_gateway():
            self.env["dunning.level"]._cron_auto_run()
            self.env["dunning.level"]._cron_auto_run()
            self._run_queue()  # its letters and PDFs: the queue, as for a user's run
        runs = self.env["dunning.run"].search([("level_id", "=", self.level_early.id)])
        self.assertEqual(len(runs), 1)
        self.assertTrue(runs.automatic)
        self.assertEqual(
            (runs.state, runs.auto_date, runs.as_of_date, runs.user_id), ("sent", AS_OF, AS_OF, self.accountant)
        )
        self.assertEqual(runs.notice_ids.partner_id, self.alpha | self.dan)
        self.assertEqual(set(runs.notice_ids.mapped("state")), {"done"})
        alpha = runs.notice_ids.filtered(lambda n: n.partner_id == self.alpha)
        dan = runs.notice_ids.filtered(lambda n: n.partner_id == self.dan)
        self.assertTrue(alpha.to_email and not alpha.to_print, "an address: emailed")
        self.assertTrue(dan.to_print and not dan.to_email, "no address: printed")
        self.assertEqual(len(self._new_mails), 1)
        self.assertEqual(self.level_early.auto_next_date, AS_OF + timedelta(days=7))
        # the same day again, its next date put back: nothing more
        self.level_early.auto_next_date = AS_OF
        with freeze_time(AS_OF), self.mock_mail_gateway():
            self.env["dunning.level"]._cron_auto_run()
        self.assertEqual(self.env["dunning.run"].search_count([("level_id", "=", self.level_early.id)]), 1)
        self.assertFalse(self._new_mails)
        # not due yet: nothing
        with freeze_time(AS_OF + timedelta(days=3)):
            self.env["dunning.level"]._cron_auto_run()
        self.assertEqual(self.env["dunning.run"].search_count([("level_id", "=", self.level_early.id)]), 1)

    def test_review_level_makes_a_draft_run_and_an_activity(self):
        self._auto(self.level_early, "review")
        with freeze_time(AS_OF), self.mock_mail_gateway():
            self.env["dunning.level"]._cron_auto_run()
        run = self.env["dunning.run"].search([("level_id", "=", self.level_early.id)])
        self.assertEqual(run.state, "draft")
        self.assertEqual(set(run.notice_ids.mapped("state")), {"draft"})
        self.assertFalse(self._new_mails)
        self.assertEqual(len(run.activity_ids), 1)
        self.assertEqual(run.activity_ids.user_id, self.accountant)
        self.assertEqual(run.activity_ids.summary, f"2 dunning notices to review ({self.level_early.name})")
        with freeze_time(AS_OF), self.mock_mail_gateway():
            run.with_user(self.accountant).action_send()
            self._run_queue()
        self.assertEqual(len(self._new_mails), 1)
        self.assertFalse(run.activity_ids, "the review is done")

    def test_failing_level_is_recorded_and_others_run(self):
        self._auto(self.level_early, "send")
        self._auto(self.level_late, "send")
        self.level_early.mail_template_id.unlink()  # its template deleted: emailing Alpha fails
        self.assertFalse(self.level_early.mail_template_id)
        with freeze_time(AS_OF), self.mock_mail_gateway():
            self.env["dunning.level"]._cron_auto_run()
        failed = self.env["dunning.run"].search([("level_id", "=", self.level_early.id)])
        self.assertEqual(failed.state, "error")
        self.assertIn("email template", failed.error_message)
        self.assertFalse(failed.notice_ids)
        late = self.env["dunning.run"].search([("level_id", "=", self.level_late.id)])
        self.assertEqual(late.state, "sent")
        self.assertEqual(late.notice_ids.partner_id, self.beta)
        self.assertEqual(self.level_early.auto_next_date, AS_OF + timedelta(days=7), "tried again next time")
        cron = self.env.ref("dunning_notices.ir_cron_dunning_level_auto_run")
        self.assertTrue(cron.active)

    def test_automatic_level_needs_a_billing_sender(self):
        with self.assertRaisesRegex(Exception, "sender"):
            self.level_early.write({"auto_mode": "send", "auto_next_date": AS_OF})
        internal = new_test_user(
            self.env,
            login="dunning_auto_internal",
            groups="base.group_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        with self.assertRaisesRegex(Exception, "billing user"):
            self.level_early.write({"auto_mode": "send", "auto_next_date": AS_OF, "auto_sender_user_id": internal.id})
