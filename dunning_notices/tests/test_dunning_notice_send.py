from datetime import date
from unittest.mock import patch

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from .common import AS_OF, DunningTestCommon


@tagged("post_install", "-at_install")
class TestDunningNoticeSend(DunningTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alpha_recent = cls._invoice(cls.alpha, date(2026, 6, 10), 500, due=date(2026, 6, 20))  # 10 days
        cls.alpha_old = cls._invoice(cls.alpha, date(2026, 4, 1), 300, due=date(2026, 4, 30))  # 61 days
        cls.alpha_not_due = cls._invoice(cls.alpha, date(2026, 6, 15), 700, due=date(2026, 7, 15))
        cls.alpha_draft = cls._invoice(cls.alpha, date(2026, 5, 1), 900, due=date(2026, 5, 2), post=False)
        cls.beta_big = cls._invoice(cls.beta, date(2026, 6, 1), 2000, due=date(2026, 6, 15))  # 15 days
        cls.carol_inv = cls._invoice(cls.carol, date(2026, 6, 20), 100, due=date(2026, 6, 25))  # 5 days
        cls.dan_inv = cls._invoice(cls.dan, date(2026, 6, 1), 50, due=date(2026, 6, 5))  # 25 days

    def test_days_range_by_due_date(self):
        wizard = self._apply(self._wizard_form())
        lines = self._lines_by_partner(wizard)
        self.assertEqual(set(lines), {self.alpha, self.beta, self.carol, self.dan})
        self.assertEqual(lines[self.alpha].move_line_ids.move_id, self.alpha_recent)
        self.assertEqual(lines[self.alpha].amount_overdue, 500)
        self.assertEqual(lines[self.alpha].max_days_overdue, 10)
        self.assertEqual(lines[self.beta].max_days_overdue, 15)
        self.assertEqual(wizard.amount_overdue, 500 + 2000 + 100 + 50)

        late = self._apply(self._wizard_form(level_id=self.level_late))
        self.assertEqual(late.line_ids.partner_id, self.alpha)
        self.assertEqual(late.line_ids.move_line_ids.move_id, self.alpha_old)
        self.assertEqual(late.line_ids.max_days_overdue, 61)

    def test_days_counted_from_invoice_date(self):
        # due 5 days ago, but invoiced 60 days ago
        invoice = self._invoice(self.carol, date(2026, 5, 1), 80, due=date(2026, 6, 25))
        by_due = self._lines_by_partner(self._apply(self._wizard_form(level_id=self.level_late)))
        self.assertNotIn(self.carol, by_due)
        by_invoice = self._lines_by_partner(
            self._apply(self._wizard_form(level_id=self.level_late, date_basis="invoice_date"))
        )
        self.assertEqual(by_invoice[self.carol].move_line_ids.move_id, invoice)
        self.assertEqual(by_invoice[self.carol].max_days_overdue, 60)
        # an invoice not yet due is never listed, whatever its invoice date
        self.assertNotIn(self.alpha_not_due, by_invoice[self.alpha].move_line_ids.move_id)

    def test_amount_range(self):
        wizard = self._apply(self._wizard_form(level_id=self.level_big))
        self.assertEqual(wizard.line_ids.partner_id, self.beta)
        # the range applies to the customer's total: two small invoices can reach it
        self._invoice(self.carol, date(2026, 6, 1), 950, due=date(2026, 6, 2))
        wizard = self._apply(self._wizard_form(level_id=self.level_big))
        self.assertEqual(wizard.line_ids.partner_id, self.beta | self.carol)
        self.assertEqual(self._lines_by_partner(wizard)[self.carol].amount_overdue, 1050)

    def test_customer_filters(self):
        def listed(**values):
            return self._apply(self._wizard_form(**values)).line_ids.partner_id

        self.assertEqual(listed(customer_ref_from="C002", customer_ref_to="C003"), self.beta | self.carol)
        self.assertEqual(listed(customer_ref_from="C003"), self.carol | self.dan)
        self.assertEqual(listed(customer_type="person"), self.carol)
        self.assertEqual(listed(customer_type="company"), self.alpha | self.beta | self.dan)
        form = self._wizard_form()
        form.category_ids.add(self.tag_vip)
        self.assertEqual(self._apply(form).line_ids.partner_id, self.beta)
        form = self._wizard_form()
        form.partner_ids.add(self.dan)
        self.assertEqual(self._apply(form).line_ids.partner_id, self.dan)

    def test_partners_from_customer_list(self):
        # launched from the customers list on a contact: its company is the customer
        form = Form(
            self.env["dunning.notice.send"].with_context(
                active_model="res.partner", active_ids=[self.alpha_billing.id, self.carol.id]
            )
        )
        form.date_mode = "custom"
        form.as_of_date = AS_OF
        form.level_id = self.level_early
        self.assertEqual(set(form.partner_ids.ids), {self.alpha.id, self.carol.id})
        self.assertEqual(self._apply(form).line_ids.partner_id, self.alpha | self.carol)

    def test_past_as_of_date(self):
        wizard = self._apply(self._wizard_form(as_of_date=date(2026, 6, 12)))
        lines = self._lines_by_partner(wizard)
        # alpha's recent invoice was not yet due on June 12
        self.assertNotIn(self.alpha, lines)
        self.assertNotIn(self.carol, lines)
        self.assertEqual(lines[self.dan].max_days_overdue, 7)

    def test_today_mode(self):
        form = Form(self.env["dunning.notice.send"])
        self.assertEqual(form.date_mode, "today")
        self.assertEqual(form.as_of_date, date.today())
        self.assertEqual(form.date_basis, "due_date")
        self.assertEqual(form.sender_user_id, self.env.user)

    def test_instalments(self):
        term = self.env["account.payment.term"].create(
            {
                "name": "Half now, half in 30 days",
                "line_ids": [
                    Command.create({"value": "percent", "value_amount": 50, "nb_days": 0}),
                    Command.create({"value": "percent", "value_amount": 50, "nb_days": 30}),
                ],
            }
        )
        invoice = self._invoice(self.carol, date(2026, 6, 10), 1000, payment_term=term)
        line = self._lines_by_partner(self._apply(self._wizard_form()))[self.carol]
        items = line.move_line_ids.filtered(lambda item: item.move_id == invoice)
        self.assertEqual(len(items), 1, "only the instalment due before the as-of date is overdue")
        self.assertEqual(items.date_maturity, date(2026, 6, 10))
        self.assertEqual(line.amount_overdue, 100 + 500)

    def test_line_names_each_overdue_invoice_once(self):
        """The customer's line counts and names invoices, not journal items: two overdue instalments of
        one invoice make one invoice."""
        term = self.env["account.payment.term"].create(
            {
                "name": "Half now, half in 15 days",
                "line_ids": [
                    Command.create({"value": "percent", "value_amount": 50, "nb_days": 0}),
                    Command.create({"value": "percent", "value_amount": 50, "nb_days": 15}),
                ],
            }
        )
        instalments = self._invoice(self.carol, date(2026, 6, 5), 200, payment_term=term)  # due 5 and 20 June
        line = self._lines_by_partner(self._apply(self._wizard_form()))[self.carol]
        self.assertEqual(len(line.move_line_ids), 3)
        self.assertEqual(line.invoice_count, 2)
        self.assertEqual(line.invoice_names, ", ".join(sorted([self.carol_inv.name, instalments.name])))
        self.assertEqual(line.max_days_overdue, 25)

    def test_partial_payment_and_credit_note(self):
        self._pay(self.beta_big, 300, date(2026, 6, 20))
        self._credit_note(self.carol, date(2026, 6, 21), 40)
        paid = self._invoice(self.dan, date(2026, 6, 1), 70, due=date(2026, 6, 2))
        self._pay(paid, 70, date(2026, 6, 3))
        lines = self._lines_by_partner(self._apply(self._wizard_form()))
        self.assertEqual(lines[self.beta].amount_overdue, 1700)
        self.assertEqual(lines[self.carol].amount_overdue, 100, "an open credit note is not an overdue item")
        self.assertEqual(lines[self.carol].move_line_ids.move_id, self.carol_inv)
        self.assertNotIn(paid, lines[self.dan].move_line_ids.move_id)

    def test_second_currency(self):
        other = self.setup_other_currency("EUR", rates=[("2026-01-01", 2.0)])
        invoice = self._invoice(self.carol, date(2026, 6, 1), 600, due=date(2026, 6, 10), currency=other)
        line = self._lines_by_partner(self._apply(self._wizard_form()))[self.carol]
        item = line.move_line_ids.filtered(lambda i: i.move_id == invoice)
        self.assertEqual(item.amount_residual_currency, 600)
        self.assertEqual(line.amount_overdue, 100 + 300, "totals are in company currency")
        self.assertIn("600.00", line.amount_summary)
        self.assertIn("100.00", line.amount_summary)

    def test_other_company_invoices_ignored(self):
        other = self.setup_other_company(name="Company B")
        self.env["account.move"].with_company(other["company"]).create(
            {
                "move_type": "out_invoice",
                "partner_id": self.carol.id,
                "invoice_date": date(2026, 6, 1),
                "invoice_date_due": date(2026, 6, 2),
                "invoice_line_ids": [Command.create({"name": "X", "quantity": 1, "price_unit": 999, "tax_ids": []})],
            }
        ).action_post()
        line = self._lines_by_partner(self._apply(self._wizard_form()))[self.carol]
        self.assertEqual(line.amount_overdue, 100)

    def test_recipients_and_defaults(self):
        lines = self._lines_by_partner(self._apply(self._wizard_form()))
        self.assertEqual(lines[self.alpha].recipient_ids, self.alpha_billing, "invoice contacts first")
        self.assertEqual(lines[self.beta].recipient_ids, self.beta)
        self.assertFalse(lines[self.dan].recipient_ids)
        self.assertTrue(lines[self.alpha].to_email)
        self.assertFalse(lines[self.alpha].to_print)
        self.assertFalse(lines[self.dan].to_email)
        self.assertTrue(lines[self.dan].to_print)

    def test_templates_follow_level_and_can_be_overridden(self):
        form = self._wizard_form()
        self.assertEqual(form.mail_template_id, self.level_early.mail_template_id)
        self.assertEqual(form.report_id, self.level_early.report_id)
        form.level_id = self.level_late
        self.assertEqual(form.mail_template_id, self.level_late.mail_template_id)
        form.mail_template_id = self.env.ref("dunning_notices.mail_template_dunning_level_3")
        wizard = form.save()
        self.assertEqual(wizard.mail_template_id, self.env.ref("dunning_notices.mail_template_dunning_level_3"))

    def test_invalid_extra_email(self):
        wizard = self._apply(self._wizard_form())
        line = self._lines_by_partner(wizard)[self.dan]
        with self.assertRaisesRegex(ValidationError, "invalid email address not-an-email"):
            line.extra_emails = "ok@example.com, not-an-email"

    def test_another_users_wizard_cannot_be_filled(self):
        wizard = self._wizard_form().save()
        other = new_test_user(self.env, login="other_dunning_accountant", groups="account.group_account_invoice")
        with self.assertRaises(AccessError):
            wizard.with_user(other).action_apply_filters()
        self.assertFalse(wizard.line_ids)

    def test_email_without_address_is_refused_before_anything_is_created(self):
        form = self._wizard_form()
        wizard = self._apply(form)
        with Form(wizard) as edit:
            for index in range(len(edit.line_ids)):
                with edit.line_ids.edit(index) as line:
                    line.to_email = True
        with self.assertRaisesRegex(UserError, "Dan No-Email"):
            wizard.action_send()
        self.assertFalse(self.env["dunning.notice"].search([("partner_id", "in", wizard.line_ids.partner_id.ids)]))
        self.assertEqual(wizard.state, "draft")


@tagged("post_install", "-at_install", "is_query_count")
class TestDunningNoticeSendQueries(DunningTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._invoice(cls.beta, date(2026, 6, 1), 2000, due=date(2026, 6, 15))

    def test_apply_filters_query_count_does_not_grow(self):
        """Apply filters runs the same number of queries for 5 customers with 3 invoices each and for
        100 customers with 1 invoice each, half of them with open credits, some left out."""
        counts = [self._apply_filters_queries(5, invoices_each=3), self._apply_filters_queries(100, invoices_each=1)]
        self.assertEqual(counts[0], counts[1])

    def _apply_filters_queries(self, size, invoices_each):
        tag = self.env["res.partner.category"].create({"name": f"Bulk {size}"})
        partners = self.env["res.partner"].create(
            [
                {
                    "name": f"Bulk {size} {i:03d}",
                    "is_company": True,
                    "email": f"bulk{size}.{i}@example.com",
                    "category_id": [Command.set(tag.ids)],
                }
                for i in range(size)
            ]
        )
        for index, partner in enumerate(partners):
            for day in range(invoices_each):
                self._invoice(partner, date(2026, 6, 1 + day), 100, due=date(2026, 6, 10 + day))
            if index % 2:  # open credits, netted: every other customer has one, every fourth is covered
                self._credit_note(partner, date(2026, 6, 20), 50 if index % 4 == 1 else 100 * invoices_each)
        form = self._wizard_form()
        form.category_ids.add(tag)
        wizard = form.save()
        # warm the registry caches (access rules, groups), replacing lines as a second apply does
        wizard.action_apply_filters()
        wizard.action_apply_filters()
        self.env.flush_all()
        self.env.invalidate_all()
        with self.assertQueryCount(20):  # the bound; inside it random maintenance queries are muted
            count0 = self.cr.sql_log_count
            wizard.action_apply_filters()
            self.env.flush_all()
            count = self.cr.sql_log_count - count0
        covered = len([index for index in range(size) if index % 4 == 3])
        self.assertEqual(len(wizard.line_ids), size - covered)
        self.assertEqual(set(wizard.excluded_line_ids.mapped("exclusion_reason")), {"credits_cover"})
        self.assertEqual(len(wizard.excluded_line_ids), covered)
        self.assertEqual(wizard.amount_overdue, (size - covered) * invoices_each * 100)
        partly = len([index for index in range(size) if index % 4 == 1])
        self.assertEqual(wizard.amount_net, (size - covered) * invoices_each * 100 - partly * 50)
        return count

    def test_lines_insert_writes_every_stored_field(self):
        """Apply Filters writes the lines in one INSERT of its own column list (measured clearly faster than
        the ORM's create: bench/README.md, stage 1d): that list and the fields the user fills in later are
        every stored field of the line but the wizard, the order and the log columns, so that a field added
        to the model is not left empty."""
        from ..wizard.dunning_notice_send_line import LINE_COLUMNS, LINE_USER_COLUMNS

        model = self.env["dunning.notice.send.line"]
        stored = {name for name, field in model._fields.items() if field.store and field.column_type}
        log = {"id", "create_uid", "create_date", "write_uid", "write_date"}
        self.assertEqual(set(LINE_COLUMNS), stored - log - {"wizard_id", "sequence", *LINE_USER_COLUMNS})
        self.assertEqual(len(LINE_COLUMNS), len(set(LINE_COLUMNS)))

    def test_queue_batch_queries_per_notice(self):
        """Emailing a batch of notices costs a bounded number of queries a notice: each is rendered by
        mail's composer and posted with message_post (about 16 queries a notice), the rest per batch."""
        counts = {size: self._queue_batch_queries(size) for size in (5, 30)}
        # 19: the letter's instalment numbers read each invoice's payment-term lines (issue 26), about 0.7 a
        # notice more than the 18 before; to batch. 22: the notice is a portal document (issue 27), and
        # Odoo's portal mixin signs the customer's copy a "view" link (its token, the signup parameters of
        # the customer's user): about 2.8 queries a notice more
        self.assertLessEqual((counts[30] - counts[5]) / 25, 22)

    def _queue_batch_queries(self, size):
        self.level_early.attach_notice_pdf = False  # the HTML email alone; a PDF costs a rendering each
        partners = self.env["res.partner"].create(
            [{"name": f"Batch {size} {i:03d}", "email": f"batch{size}.{i}@example.com"} for i in range(size)]
        )
        for partner in partners:
            self._invoice(partner, date(2026, 6, 1), 100, due=date(2026, 6, 10))
        form = self._wizard_form()
        for partner in partners:
            form.partner_ids.add(partner)
        wizard = self._apply(form)
        wizard.line_ids.write({"to_email": True, "to_print": False})
        with patch("odoo.addons.dunning_notices.models.dunning_notice_dispatch.SYNC_PROCESS_LIMIT", 0):
            wizard.action_send()  # all to the queue
        notices = wizard.notice_ids
        self.assertEqual(set(notices.mapped("state")), {"queued"})
        self.env.flush_all()
        self.env.invalidate_all()
        # the bound for a batch: per notice, and per batch the templates and settings read once (more when
        # an earlier test left their caches cold: the slope per notice is the check, above), the customer
        # rules applied again and the customers' log lines (a few queries a batch)
        with self.assertQueryCount(24 * size + 130), self.mock_mail_gateway():
            count0 = self.cr.sql_log_count
            notices._process()
            self.env.flush_all()
            count = self.cr.sql_log_count - count0
        self.assertEqual(set(notices.mapped("state")), {"done"})
        self.assertEqual(self.env["mail.mail"].search_count([("mail_message_id", "in", notices.message_id.ids)]), size)
        self.assertEqual(len(notices.message_id.notification_ids), size)
        return count
