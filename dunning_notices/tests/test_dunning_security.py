from contextlib import contextmanager
from datetime import date
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import mute_logger

from ..compat import QWebError
from .common import AS_OF, DunningTestCommon


@tagged("post_install", "-at_install")
class TestDunningTrust(DunningTestCommon):
    """Issue 10: a notice cannot be forged, mixed with another customer's, leaked to another company or
    rewritten; each test reproduces an observation as the named user would make it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alpha_inv = cls._invoice(cls.alpha, date(2026, 6, 10), 500, due=date(2026, 6, 20))
        cls.beta_inv = cls._invoice(cls.beta, date(2026, 6, 1), 2000, due=date(2026, 6, 15))
        cls.other = cls.setup_other_company(name="Company B")["company"]
        cls.other_inv = (
            cls.env["account.move"]
            .with_company(cls.other)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": cls.carol.id,
                    "invoice_date": date(2026, 6, 1),
                    "invoice_date_due": date(2026, 6, 2),
                    "invoice_line_ids": [
                        Command.create({"name": "Secret B", "quantity": 1, "price_unit": 777, "tax_ids": []})
                    ],
                }
            )
        )
        cls.other_inv.action_post()
        cls.other_item = cls.other_inv.line_ids.filtered(lambda line: line.account_type == "asset_receivable")
        cls.manager = new_test_user(
            cls.env,
            login="dunning_manager",
            groups="base.group_user,account.group_account_manager",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    def _notice_vals(self, partner, items, **extra):
        return {
            "company_id": self.company.id,
            "partner_id": partner.id,
            "level_id": self.level_early.id,
            "as_of_date": AS_OF,
            "date_basis": "due_date",
            "report_id": self.level_early.report_id.id,
            "mail_template_id": self.level_early.mail_template_id.id,
            "to_email": True,
            "recipient_ids": [Command.set(partner.ids)],
            "move_line_ids_data": items.ids,
            **extra,
        }

    @contextmanager
    def assertRaisesRegex(self, exception, regex):
        """Odoo rolls a failed write back only in ``assertRaises``: keep it, and match the message."""
        with self.assertRaises(exception) as caught:
            yield caught
        self.assertRegex(str(caught.exception), regex)

    def _receivable(self, invoice):
        return invoice.line_ids.filtered(lambda line: line.account_type == "asset_receivable")

    # 1. the queue reads nothing a user wrote unchecked ----------------------------------------------

    def test_billing_user_cannot_create_a_notice(self):
        with self.assertRaises(AccessError):
            self.env["dunning.notice"].with_user(self.accountant).create(self._notice_vals(self.carol, self.other_item))

    def test_notice_refuses_items_of_another_company_or_customer(self):
        notices = self.env["dunning.notice"].sudo()
        with self.assertRaisesRegex(ValidationError, "posted receivable items of Carol Person"):
            notices.create(self._notice_vals(self.carol, self.other_item))
        with self.assertRaisesRegex(ValidationError, "posted receivable items of Alpha Corp"):
            notices.create(self._notice_vals(self.alpha, self._receivable(self.beta_inv)))
        income = self.alpha_inv.line_ids.filtered(lambda line: line.account_type != "asset_receivable")
        with self.assertRaisesRegex(ValidationError, "posted receivable items"):
            notices.create(self._notice_vals(self.alpha, income))
        with self.assertRaisesRegex(ValidationError, "list of ids"):
            notices.create({**self._notice_vals(self.alpha, self.alpha_inv), "move_line_ids_data": ["1; DROP"]})
        # the customer's own items are accepted
        notice = notices.create(self._notice_vals(self.alpha, self._receivable(self.alpha_inv)))
        self.assertEqual(notice.move_line_ids, self._receivable(self.alpha_inv))

    def test_notice_refuses_another_notice_pdf(self):
        wizard, _action = self._send()
        alpha, beta = (wizard.notice_ids.filtered(lambda n, p=p: n.partner_id == p) for p in (self.alpha, self.beta))
        with self.assertRaises(AccessError):
            alpha.with_user(self.accountant).write({"pdf_attachment_id": beta.pdf_attachment_id.id})
        with self.assertRaisesRegex(ValidationError, "must be its own"):
            alpha.sudo().write({"pdf_attachment_id": beta.pdf_attachment_id.id})
        other_invoice_pdf = self.env["ir.attachment"].create(
            {"name": "b.pdf", "raw": b"%PDF b", "res_model": "account.move", "res_id": self.other_inv.id}
        )
        with self.assertRaisesRegex(ValidationError, "its own invoices"):
            alpha.sudo().write({"invoice_attachment_ids": [Command.set(other_invoice_pdf.ids)]})

    def test_forged_wizard_line_cannot_carry_other_items(self):
        """The wizard's lines are the user's own records: what Apply Filters found stays as found."""
        wizard = self._apply(self._wizard_form(user=self.accountant))
        line = wizard.line_ids.filtered(lambda line: line.partner_id == self.alpha)
        self.assertTrue(line)
        with self.assertRaises(AccessError):
            line.write({"move_line_ids_data": self.other_item.ids})
        with self.assertRaises(AccessError):
            line.write({"partner_id": self.carol.id})
        with self.assertRaises(AccessError):
            self.env["dunning.notice.send.line"].with_user(self.accountant).create(
                {"wizard_id": wizard.id, "partner_id": self.carol.id, "move_line_ids_data": self.other_item.ids}
            )
        # should a line hold foreign items anyway, no notice is made of it
        line.sudo().write({"move_line_ids_data": self.other_item.ids})
        with self.assertRaises(ValidationError), self.mock_mail_gateway():
            wizard.action_send()
        self.assertFalse(self.env["dunning.notice"].search([("partner_id", "=", self.alpha.id)]))

    def test_other_company_notice_and_pdf_unreachable(self):
        other_accountant = new_test_user(
            self.env,
            login="other_accountant",
            groups="base.group_user,account.group_account_invoice",
            company_id=self.other.id,
            company_ids=[Command.set(self.other.ids)],
        )
        wizard, _action = self._send()
        notice = wizard.notice_ids[0]
        as_other = notice.with_user(other_accountant)
        with self.assertRaises(AccessError):
            as_other.read(["name"])
        with self.assertRaises(AccessError):
            as_other.action_print()
        with self.assertRaises(AccessError):
            as_other.action_retry()
        # 18.0 wraps the access error in its QWeb error, 19.0 raises it as it is
        try:
            self.env["ir.actions.report"].with_user(other_accountant)._render_qweb_html(
                "dunning_notices.report_dunning_notice", notice.ids
            )
        except (AccessError, QWebError) as error:
            self.assertIn("read' access", str(error))
        else:
            self.fail("another company's accountant rendered the notice")
        with self.assertRaises(AccessError):
            notice.pdf_attachment_id.with_user(other_accountant).read(["raw"])

    def test_pdf_uploaded_under_the_notice_name_is_never_printed(self):
        """Printing a notice gives the PDF the server stored, not a file of the same name that anyone who
        may comment on the notice could upload."""
        wizard, _action = self._send()
        notice = wizard.notice_ids.filtered(lambda n: n.partner_id == self.alpha)
        # what /mail/attachment/upload does for whoever may post on the notice (read access): sudo
        forged = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": notice._get_pdf_filename(),
                    "raw": b"<html>forged letter</html>",
                    "res_model": notice._name,
                    "res_id": notice.id,
                }
            )
        )
        report = self.env["ir.actions.report"]._get_report("dunning_notices.action_report_dunning_notice")
        self.assertEqual(report.retrieve_attachment(notice), notice.pdf_attachment_id)
        self.assertNotEqual(notice.pdf_attachment_id, forged)
        content, _type = (
            self.env["ir.actions.report"]
            .with_user(self.accountant)
            ._render_qweb_pdf("dunning_notices.action_report_dunning_notice", notice.ids)
        )
        self.assertEqual(content, notice.pdf_attachment_id.raw)
        self.assertNotIn(b"forged", content)

    def test_other_company_cannot_open_the_pdf_in_a_shared_customer_chatter(self):
        """The notice's message and PDF are the notice's own, whether the customer belongs to the notice's
        company or is shared: only the notice's company opens them; the customer's chatter logs the
        notice without its PDF."""
        self.beta.company_id = self.company
        other_user = new_test_user(
            self.env,
            login="other_reader",
            groups="base.group_user,account.group_account_manager",
            company_id=self.other.id,
            company_ids=[Command.set(self.other.ids)],
        )
        employee = new_test_user(
            self.env,
            login="plain_employee",
            groups="base.group_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        wizard, _action = self._send()
        for notice in wizard.notice_ids:
            pdf = notice.message_id.attachment_ids
            self.assertEqual(pdf, notice.pdf_attachment_id)
            self.assertEqual((pdf.res_model, pdf.res_id), ("dunning.notice", notice.id))
            self.assertTrue(pdf.with_user(self.accountant).read(["raw"]))
            for user in (other_user, employee):
                with self.assertRaises(AccessError):
                    pdf.with_user(user).read(["raw"])
            log = self.env["mail.message"].search(
                [("model", "=", "res.partner"), ("res_id", "=", notice.partner_id.id), ("body", "ilike", notice.name)]
            )
            self.assertEqual(len(log), 1)
            self.assertFalse(log.attachment_ids)

    def test_a_sent_run_cannot_be_reset_and_sent_again(self):
        wizard, _action = self._send(user=self.accountant)
        mails = self.env["mail.mail"].search_count([])
        with self.assertRaises(AccessError):
            wizard.with_user(self.accountant).write({"state": "draft"})
        with self.assertRaises(AccessError):
            wizard.with_user(self.accountant).write({"notice_ids": [Command.clear()]})
        with self.mock_mail_gateway():
            wizard.with_user(self.accountant).action_send()
        self.assertEqual(self.env["mail.mail"].search_count([]), mails)
        self.assertEqual(len(wizard.notice_ids), 2)

    # 2. processed history cannot be rewritten -------------------------------------------------------

    def test_processed_notice_cannot_be_rewritten_or_sent_twice(self):
        wizard, _action = self._send(user=self.accountant)
        notice = wizard.notice_ids.filtered(lambda n: n.partner_id == self.alpha)
        self.assertEqual(notice.state, "done")
        for user in (self.accountant, self.manager):
            with self.assertRaises(AccessError):
                notice.with_user(user).write({"state": "error"})
            with self.assertRaises(AccessError):
                notice.with_user(user).unlink()
        mails_before = self.env["mail.mail"].search_count([])
        with self.assertRaisesRegex(UserError, "Only notices in error"), self.mock_mail_gateway():
            notice.with_user(self.accountant).action_retry()
        with self.assertRaisesRegex(UserError, "or in error can be cancelled"):
            notice.with_user(self.accountant).action_cancel()
        self.assertEqual(self.env["mail.mail"].search_count([]), mails_before)
        self.assertEqual(notice.state, "done")

    def test_manager_archives_a_processed_notice_with_a_trace(self):
        wizard, _action = self._send()
        notice = wizard.notice_ids[0]
        with self.assertRaises(AccessError):
            notice.with_user(self.accountant).action_archive()
        notice.with_user(self.manager).action_archive()
        self.assertFalse(notice.active)
        self.assertIn("archived by", notice.message_ids[0].body)
        self.assertEqual(self.env["dunning.notice"].search([("id", "=", notice.id)]), self.env["dunning.notice"])
        notice.with_user(self.manager).action_unarchive()
        self.assertTrue(notice.active)

    @mute_logger("odoo.addons.dunning_notices.models.dunning_notice")
    def test_accountant_cancels_a_failed_notice(self):
        with patch.object(type(self.env["dunning.notice"]), "_render_pdf_alone", side_effect=RuntimeError("boom")):
            wizard, _action = self._send(user=self.accountant)
        failed = wizard.notice_ids.filtered(lambda n: n.state == "error")
        self.assertTrue(failed)
        self.assertIn("boom (RuntimeError)", failed[0].error_message)
        failed.with_user(self.accountant).action_cancel()
        self.assertEqual(set(failed.mapped("state")), {"cancel"})
        self.assertEqual(set(failed.mapped("delivery_state")), {"cancel"})
        self.assertIn("cancelled by Anna Accountant", failed[0].message_ids[0].body)
        self.assertFalse(failed.message_id)

    # 3. templates of another model ------------------------------------------------------------------

    def test_report_or_template_of_another_model_refused(self):
        invoice_report = self.env.ref("account.account_invoices")
        user_template = self.env["mail.template"].create(
            {"name": "Users", "model_id": self.env["ir.model"]._get_id("res.users"), "subject": "x"}
        )
        with self.assertRaisesRegex(ValidationError, "not a dunning notice report"):
            self.level_early.report_id = invoice_report
        with self.assertRaisesRegex(ValidationError, "not a dunning notice template"):
            self.level_early.mail_template_id = user_template
        form = self._wizard_form(user=self.accountant)
        form.report_id = invoice_report
        with self.assertRaisesRegex(ValidationError, "not a dunning notice report"):
            form.save()
        form = self._wizard_form(user=self.accountant)
        form.mail_template_id = user_template
        with self.assertRaisesRegex(ValidationError, "not a dunning notice template"):
            form.save()
        with self.assertRaisesRegex(ValidationError, "not a dunning notice report"):
            self.env["dunning.notice"].sudo().create(
                self._notice_vals(self.alpha, self._receivable(self.alpha_inv), report_id=invoice_report.id)
            )

    # 4. one customer's data never in another's email ------------------------------------------------

    def test_each_email_holds_only_its_own_customer_data(self):
        """Names with control characters and QWeb-like text, a template whose conditional t-set would
        carry one customer's value into the next body if values were shared: each email, and each
        chatter message, holds its own customer's invoices and nothing of the other's."""
        self.alpha.name = "Alpha \x1edunning-notice:1\x1e <t t-out='object.id'/> {{ object.name }}"
        self.beta.name = "Beta \x1e\x1e ${object} <script>x</script>"
        template = self.level_early.mail_template_id.copy(
            {
                "body_html": (
                    f"<div><t t-if='object.partner_id.id == {self.alpha.id}'>"
                    "<t t-set='secret' t-value='\"ALPHA-ONLY\"'/></t>"
                    "<p>Dear <t t-out='object.partner_id.name'/>, <t t-out='secret or \"no secret\"'/></p>"
                    "<p t-foreach='object.line_ids' t-as='line'><t t-out='line.move_id.name'/></p></div>"
                ),
            }
        )
        form = self._wizard_form()
        form.mail_template_id = template
        form.partner_ids.add(self.alpha)
        form.partner_ids.add(self.beta)
        wizard, _action = self._send(form=form)
        alpha = wizard.notice_ids.filtered(lambda n: n.partner_id == self.alpha)
        beta = wizard.notice_ids.filtered(lambda n: n.partner_id == self.beta)
        self.assertEqual(wizard.notice_ids, alpha | beta)
        for notice, own, foreign in ((alpha, self.alpha_inv, self.beta_inv), (beta, self.beta_inv, self.alpha_inv)):
            mails = self.env["mail.mail"].search([("mail_message_id", "=", notice.message_id.id)])
            self.assertEqual(len(mails), 1)
            for body in (mails.body_html, notice.message_id.body):
                self.assertIn(own.name, body)
                self.assertNotIn(foreign.name, body)
                self.assertNotIn(foreign.partner_id.name.split(" ")[0] + " ", body.replace("Dear", ""))
        self.assertIn("ALPHA-ONLY", alpha.message_id.body)
        self.assertNotIn("ALPHA-ONLY", beta.message_id.body)
        self.assertIn("no secret", beta.message_id.body)
        self.assertNotIn("<script>", beta.message_id.body)

    # 5. filters never widen silently ----------------------------------------------------------------

    def test_archived_customer_picked_explicitly_is_listed(self):
        self.alpha.action_archive()
        form = self._wizard_form(user=self.accountant)
        form.partner_ids.add(self.alpha)
        wizard = self._apply(form)
        self.assertEqual(wizard.line_ids.partner_id, self.alpha)

    def test_customer_of_another_company_is_refused_not_dropped(self):
        self.accountant.company_ids = [Command.link(self.other.id)]
        outsider = self.env["res.partner"].create({"name": "Outsider B", "company_id": self.other.id})
        form = self._wizard_form(user=self.accountant)
        form.partner_ids.add(outsider)
        wizard = form.save()
        with self.assertRaisesRegex(UserError, "Outsider B belong to another company"):
            wizard.action_apply_filters()
        self.assertFalse(wizard.line_ids)
        # a customer the user cannot even see, written by id over RPC
        self.accountant.company_ids = [Command.unlink(self.other.id)]
        wizard = self._wizard_form(user=self.accountant).save()
        wizard.write({"partner_ids": [Command.set(outsider.ids)]})
        with self.assertRaisesRegex(UserError, "company you cannot access"):
            wizard.action_apply_filters()
        self.assertFalse(wizard.line_ids)

    # 6. bounds --------------------------------------------------------------------------------------

    def test_level_bounds(self):
        with self.assertRaisesRegex(ValidationError, "cannot exceed 36500"):
            self.level_early.write({"min_days_overdue": 1_000_000, "max_days_overdue": 0})
        with self.assertRaisesRegex(ValidationError, "must be below"):
            self.level_big.max_amount_overdue = 10**15

    @freeze_time("2026-06-30")
    def test_as_of_date_bounds_and_future_warning(self):
        for bad in (date(1, 1, 1), date(2028, 1, 1)):
            form = self._wizard_form(user=self.accountant, as_of_date=bad)
            with self.assertRaises(ValidationError):
                form.save()
        form = self._wizard_form(user=self.accountant, as_of_date=date(2026, 7, 20))
        self.assertIn("in the future", form.as_of_date_warning)
        wizard = self._apply(form)
        self.assertEqual(
            self._lines_by_partner(wizard)[self.alpha].max_days_overdue, 30, "counted up to the as-of date"
        )
        self.assertFalse(self._wizard_form(as_of_date=AS_OF).as_of_date_warning)

    # 7. a queue that cannot be blocked --------------------------------------------------------------

    def _queue(self, count):
        partners = self.env["res.partner"].create(
            [{"name": f"Queued {i:02d}", "email": f"queued{i}@example.com"} for i in range(count)]
        )
        for partner in partners:
            self._invoice(partner, date(2026, 6, 1), 10, due=date(2026, 6, 2))
        form = self._wizard_form()
        for partner in partners:
            form.partner_ids.add(partner)
        with patch("odoo.addons.dunning_notices.models.dunning_notice_dispatch.SYNC_PROCESS_LIMIT", 0):
            wizard, _action = self._send(form=form, run_queue=False)
        return wizard.notice_ids

    @mute_logger("odoo.addons.dunning_notices.models.dunning_notice")
    def test_snapshot_failure_stays_with_its_notice(self):
        notices = self._queue(4).sorted("id")
        faulty = notices[1]
        line_model = type(self.env["dunning.notice.line"])
        original = line_model._prepare_vals_from_move_line

        def failing(model, item, days):
            if item.partner_id == faulty.partner_id:
                raise ValueError("unreadable item")
            return original(model, item, days)

        with patch.object(line_model, "_prepare_vals_from_move_line", failing), self.mock_mail_gateway():
            self.env["dunning.notice"]._cron_process_queue()
        self.assertEqual(faulty.state, "error")
        self.assertIn("unreadable item", faulty.error_message)
        self.assertFalse(faulty.line_ids)
        self.assertEqual(set((notices - faulty).mapped("state")), {"done"})
        with self.mock_mail_gateway():
            self.assertFalse(self.env["dunning.notice"]._cron_process_queue(), "nothing taken again")

    @mute_logger("odoo.addons.dunning_notices.models.dunning_notice")
    def test_notice_stopped_three_times_is_not_retried_automatically(self):
        notices = self._queue(3).sorted("id")
        self.assertEqual(set(notices.mapped("process_attempt_count")), {0})
        # three workers took the first notice and died (their claims were counted, their work lost)
        notices[0].sudo().process_attempt_count = 3
        with self.mock_mail_gateway():
            processed = self.env["dunning.notice"]._cron_process_queue()
        self.assertEqual(processed, notices[1:])
        self.assertEqual(notices[0].state, "error")
        self.assertIn("stopped 3 times", notices[0].error_message)
        self.assertEqual(notices[1:].mapped("process_attempt_count"), [1, 1])
        # the accountant retries it once the cause is fixed: counted anew, sent once
        with self.mock_mail_gateway():
            notices[0].with_user(self.accountant).action_retry()
        self.assertEqual(notices[0].state, "done")
        self.assertEqual(len(notices[0].message_id), 1)


@tagged("post_install", "-at_install")
class TestDunningAccessMatrix(DunningTestCommon):
    """Who may do what on each model of the addon, through the ORM as each user."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._invoice(cls.alpha, date(2026, 6, 10), 500, due=date(2026, 6, 20))
        other = cls.setup_other_company(name="Company B")["company"]

        def user(login, groups, company=cls.company):
            return new_test_user(
                cls.env, login=login, groups=groups, company_id=company.id, company_ids=[Command.set(company.ids)]
            )

        cls.users = {
            "internal": user("m_internal", "base.group_user"),
            "billing": cls.accountant,
            "accountant": user("m_accountant", "base.group_user,account.group_account_user"),
            "manager": user("m_manager", "base.group_user,account.group_account_manager"),
            "auditor": user("m_auditor", "base.group_user,account.group_account_readonly"),
            "portal": user("m_portal", "base.group_portal"),
            "other_company": user("m_other", "base.group_user,account.group_account_manager", company=other),
        }

    def _can(self, user, records, operation):
        try:
            records.with_user(user).check_access(operation)
        except AccessError:
            return False
        return True

    def test_access_matrix(self):
        wizard, _action = self._send()
        notice = wizard.notice_ids[0]
        records = {
            "level": self.level_early,
            "notice": notice,
            "notice line": notice.line_ids[0],
        }
        # (read, write, create, unlink) per user, for levels, notices and notice lines
        expected = {
            "internal": {"level": "----", "notice": "----", "notice line": "----"},
            "billing": {"level": "r---", "notice": "r---", "notice line": "r---"},
            "accountant": {"level": "r---", "notice": "r---", "notice line": "r---"},
            "manager": {"level": "rwcu", "notice": "r---", "notice line": "r---"},
            "auditor": {"level": "r---", "notice": "r---", "notice line": "r---"},
            "portal": {"level": "----", "notice": "----", "notice line": "----"},
            "other_company": {"level": "----", "notice": "----", "notice line": "----"},
        }
        operations = ("read", "write", "create", "unlink")
        for name, user in self.users.items():
            for model, record in records.items():
                with self.subTest(user=name, model=model):
                    got = "".join(
                        letter if self._can(user, record, operation) else "-"
                        for letter, operation in zip("rwcu", operations, strict=True)
                    )
                    self.assertEqual(got, expected[name][model])

    def test_wizard_is_for_billing_users_and_their_own_runs(self):
        for name in ("internal", "portal", "auditor"):
            with self.subTest(user=name), self.assertRaises(AccessError):
                Form(self.env["dunning.notice.send"].with_user(self.users[name]))
        wizard = self._apply(self._wizard_form(user=self.users["accountant"]))
        for name in ("billing", "manager", "other_company"):
            with self.subTest(user=name), self.assertRaises(AccessError):
                wizard.with_user(self.users[name]).read(["level_id"])
            with self.subTest(user=name), self.assertRaises(AccessError):
                wizard.line_ids.with_user(self.users[name]).read(["partner_id"])
        self.assertTrue(wizard.line_ids.with_user(self.users["accountant"]).read(["partner_id"]))

    def test_other_company_reaches_no_notice_by_any_route(self):
        wizard, _action = self._send()
        outsider = self.users["other_company"]
        notice_model = self.env["dunning.notice"].with_user(outsider)
        self.assertFalse(notice_model.search([]))
        self.assertFalse(self.env["dunning.notice.line"].with_user(outsider).search([]))
        self.assertFalse(notice_model.with_context(active_test=False).search_count([]))
        for notice in wizard.notice_ids:
            with self.assertRaises(AccessError):
                notice.with_user(outsider).read(["amount_overdue"])
            with self.assertRaises(AccessError):
                notice.with_user(outsider).message_post(body="hello")
        levels = self.env["dunning.level"].with_user(outsider).search([])
        self.assertFalse(levels & (self.level_early | self.level_late | self.level_big))

    def test_portal_user_reaches_nothing(self):
        wizard, _action = self._send()
        portal = self.users["portal"]
        for model in ("dunning.level", "dunning.notice.line", "dunning.notice.send", "dunning.promise"):
            with self.subTest(model=model), self.assertRaises(AccessError):
                self.env[model].with_user(portal).search([])
        # a portal user reads the notices of its own commercial partner only (issue 27): none of these
        self.assertFalse(self.env["dunning.notice"].with_user(portal).search([]))
        with self.assertRaises(AccessError):
            wizard.notice_ids[0].with_user(portal).read(["name"])

    def test_notice_actions_are_the_accountants_of_the_company(self):
        """Retry, Cancel, Resend, Archive and printing from the To Print list, as each user would click
        them: refused to users who may not act on notices, or not of the notice's company."""
        wizard, _action = self._send()
        notice = wizard.notice_ids[0]
        actions = ("action_retry", "action_cancel", "action_resend", "action_print_fallback", "action_archive")
        for name in ("internal", "portal", "auditor", "other_company"):
            for action in actions:
                with self.subTest(user=name, action=action), self.assertRaises(AccessError):
                    getattr(notice.with_user(self.users[name]), action)()
        # the billing user may act, within the state machine; archiving is the managers'
        with self.assertRaises(AccessError):
            notice.with_user(self.users["billing"]).action_archive()
        with self.assertRaisesRegex(UserError, "Only notices in error"):
            notice.with_user(self.users["billing"]).action_retry()
        notice.with_user(self.users["manager"]).action_archive()
        self.assertFalse(notice.active)

    def test_queued_notice_is_neither_printed_nor_archived(self):
        partners = self.env["res.partner"].create([{"name": f"Q{i}", "email": f"q{i}@example.com"} for i in range(21)])
        for partner in partners:
            self._invoice(partner, date(2026, 6, 1), 10, due=date(2026, 6, 2))
        wizard, _action = self._send(run_queue=False)
        queued = wizard.notice_ids.filtered(lambda n: n.state == "queued")[:1]
        self.assertTrue(queued)
        with self.assertRaisesRegex(UserError, "Only processed notices can be printed"):
            queued.with_user(self.users["billing"]).action_print()
        with self.assertRaisesRegex(UserError, f"cancel these first: {queued.name}"):
            queued.with_user(self.users["manager"]).action_archive()
        queued.with_user(self.users["billing"]).action_cancel()
        queued.with_user(self.users["manager"]).action_archive()
        self.assertFalse(queued.active)

    def test_left_out_list_of_a_run(self):
        self._credit_note(self.alpha, date(2026, 6, 25), 900)  # covers Alpha's 500
        wizard = self._apply(self._wizard_form(user=self.users["billing"]))
        action = wizard.action_view_left_out()
        left_out = self.env[action["res_model"]].with_user(self.users["billing"]).search(action["domain"])
        self.assertEqual(left_out.partner_id, self.alpha)
        self.assertEqual(left_out.exclusion_reason, "credits_cover")
        self.assertEqual(action["context"]["search_default_group_by_reason"], 1)
        with self.assertRaises(AccessError):
            left_out.with_user(self.users["manager"]).read(["exclusion_reason"])
