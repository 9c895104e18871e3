import importlib.util
from datetime import date, timedelta
from unittest.mock import patch

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools.misc import file_path

from odoo.addons.base.models.ir_mail_server import MailDeliveryException

from .common import AS_OF, DunningTestCommon


@tagged("post_install", "-at_install")
class TestDunningNoticeMail(DunningTestCommon):
    """Issue 12: the notices go through Odoo's own mail path, as the composer sends a template."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.alias_domain_id = cls.mail_alias_domain  # replies come back through the catchall
        cls.alpha_inv = cls._invoice(cls.alpha, date(2026, 6, 10), 500, due=date(2026, 6, 20))
        cls.beta_inv = cls._invoice(cls.beta, date(2026, 6, 1), 2000, due=date(2026, 6, 15))

    def _send_to(self, partner, **line_values):
        def edit(line):
            mine = line.partner_id == partner
            line.to_email = mine and line_values.get("to_email", True)
            line.to_print = mine and line_values.get("to_print", False)

        wizard, _action = self._send(edit=edit)
        notice = wizard.notice_ids
        self.assertEqual(notice.partner_id, partner)
        self.assertEqual(notice.state, "done", notice.error_message)
        return notice

    def _mail_mails_of(self, message):
        return self.env["mail.mail"].search([("mail_message_id", "=", message.id)])

    def test_template_settings_honoured_as_the_composer_does(self):
        """A template with its own outgoing server, a Cc, an extra partner, a report and an attachment:
        the notice's email has what Odoo's composer makes of that template, plus the notice's own
        recipients, and its Reply-To routes answers to Odoo."""
        server = self.env["ir.mail_server"].create({"name": "Dunning SMTP", "smtp_host": "smtp.dunning.example.com"})
        extra = self.env["res.partner"].create({"name": "Credit Insurer", "email": "insurer@example.com"})
        leaflet = self.env["ir.attachment"].create({"name": "terms.pdf", "raw": b"%PDF-1.4 terms"})
        template = self.level_early.mail_template_id.copy(
            {
                "name": "Dunning with everything",
                "mail_server_id": server.id,
                "email_cc": "cc.collections@example.com",
                "partner_to": str(extra.id),
                "report_template_ids": [Command.set(self.env.ref("dunning_notices.action_report_dunning_notice").ids)],
                "attachment_ids": [Command.set(leaflet.ids)],
            }
        )
        self.level_early.write({"mail_template_id": template.id, "attach_notice_pdf": False})

        def edit(line):  # two notices in the run: the composer renders them as a batch
            line.to_email, line.to_print = True, False

        wizard, _action = self._send(edit=edit)
        self.assertEqual(len(wizard.notice_ids), 2)
        notice = wizard.notice_ids.filtered(lambda n: n.partner_id == self.alpha)
        self.assertEqual(notice.state, "done", notice.error_message)
        ours = self._mail_mails_of(notice.message_id)
        self.assertEqual(len(ours), 1)

        composer = (
            self.env["mail.compose.message"]
            .with_context(mail_notify_force_send=False)
            .create(
                {
                    "composition_mode": "comment",
                    "model": "dunning.notice",
                    "res_ids": str(notice.ids),
                    "template_id": template.id,
                }
            )
        )
        with self.mock_mail_gateway():
            composer.action_send_mail()
        reference = self._mail_mails_of(notice.message_ids.filtered(lambda m: m.message_type == "comment")[:1])
        self.assertEqual(len(reference), 1)

        self.assertEqual(ours.mail_server_id, server)
        self.assertEqual(ours.mail_server_id, reference.mail_server_id)
        # the template's report is the notice's own: the email gets the stored notice PDF, rendered once,
        # where the composer renders the report again
        report_name = notice._get_report_base_filename()
        self.assertEqual(len(ours.attachment_ids), len(reference.attachment_ids))
        self.assertEqual(len(reference.attachment_ids.filtered(lambda a: a.name.startswith(report_name))), 1)
        self.assertIn(notice.pdf_attachment_id, ours.attachment_ids)
        self.assertEqual(
            sorted((ours.attachment_ids - notice.pdf_attachment_id).mapped("name")),
            sorted(reference.attachment_ids.filtered(lambda a: not a.name.startswith(report_name)).mapped("name")),
        )
        self.assertIn("terms.pdf", ours.attachment_ids.mapped("name"))
        cc_partner = self.env["res.partner"].search([("email", "=", "cc.collections@example.com")])
        self.assertEqual(reference.recipient_ids, extra | cc_partner)
        self.assertEqual(ours.recipient_ids, extra | cc_partner | notice.recipient_ids)
        self.assertEqual(ours.subject, reference.subject)
        self.assertEqual(ours.email_from, reference.email_from)
        self.assertEqual(notice.message_id.subtype_id, self.env.ref("dunning_notices.mt_dunning_notice"))
        catchall = self.mail_alias_domain.catchall_email
        self.assertIn(catchall, ours.reply_to)
        self.assertNotIn(notice.sender_email, ours.reply_to)

    def test_template_reply_to_schedule_layout_and_reports(self):
        """What else a template may set reaches the email: its Reply-To (instead of the notice's alias),
        a scheduled date, auto-delete off, another layout, and a report other than the notice's,
        rendered for the notice; the notice PDF is attached once."""
        statement = self.env.ref("dunning_notices.action_report_dunning_notice").copy(
            {"name": "Statement", "print_report_name": False, "attachment": False}
        )
        template = self.level_early.mail_template_id.copy(
            {
                "name": "Dunning with a Reply-To",
                "reply_to": "collections@company.example.com",
                "auto_delete": False,
                "email_layout_xmlid": "mail.mail_notification_light",
                "report_template_ids": [Command.set(statement.ids)],
            }
        )
        self.level_early.write({"mail_template_id": template.id, "attach_notice_pdf": True})
        notice = self._send_to(self.alpha)
        mail = self._mail_mails_of(notice.message_id)
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.reply_to, "collections@company.example.com")
        self.assertFalse(mail.auto_delete)
        self.assertEqual(notice.message_id.email_layout_xmlid, "mail.mail_notification_light")
        self.assertEqual(len(mail.attachment_ids), 2)
        self.assertIn(notice.pdf_attachment_id, mail.attachment_ids)
        self.assertTrue((mail.attachment_ids - notice.pdf_attachment_id).name.startswith("Statement."))
        # a scheduled date in the future: mail holds the notification until then, as for the composer
        template.scheduled_date = "{{ (datetime.datetime.now() + datetime.timedelta(days=2)).strftime('%Y-%m-%d') }}"
        later = self._send_to(self.beta)
        self.assertFalse(self._mail_mails_of(later.message_id))
        schedule = self.env["mail.message.schedule"].sudo().search([("mail_message_id", "=", later.message_id.id)])
        self.assertEqual(schedule.scheduled_datetime.date(), date.today() + timedelta(days=2))

    def test_template_failing_for_one_notice_fails_that_notice_only(self):
        """A template whose rendering fails for one notice of the batch: the batch is rendered again
        notice by notice, the faulty notice is in error, the other is emailed."""
        template = self.level_early.mail_template_id.copy(
            {"name": "Dunning failing for Beta", "subject": "{{ 1 / (object.partner_id.name != 'Beta Ltd') }}"}
        )
        self.level_early.mail_template_id = template

        def edit(line):
            line.to_email, line.to_print = True, False

        wizard, _action = self._send(edit=edit)
        alpha = wizard.notice_ids.filtered(lambda n: n.partner_id == self.alpha)
        beta = wizard.notice_ids - alpha
        self.assertEqual(alpha.state, "done", alpha.error_message)
        self.assertEqual(len(self._mail_mails_of(alpha.message_id)), 1)
        self.assertEqual(beta.state, "error")
        self.assertFalse(beta.message_id)

    def test_customer_reply_lands_on_the_notice(self):
        notice = self._send_to(self.alpha)
        raw = (
            "From: Alpha Billing <ap@alpha.example.com>\r\n"
            f"To: {self.mail_alias_domain.catchall_email}\r\n"
            f"Subject: Re: {notice.message_id.subject}\r\n"
            "Message-ID: <reply-to-dunning@alpha.example.com>\r\n"
            f"In-Reply-To: {notice.message_id.message_id}\r\n"
            f"References: {notice.message_id.message_id}\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "\r\n"
            "We paid this invoice yesterday, please check.\r\n"
        )
        self.env["mail.thread"].message_process(None, raw)
        reply = self.env["mail.message"].search([("message_id", "=", "<reply-to-dunning@alpha.example.com>")])
        # on the notice, which only its company reads (the customer may be shared)
        self.assertEqual((reply.model, reply.res_id), ("dunning.notice", notice.id))
        self.assertIn("We paid this invoice yesterday", reply.body)

    def test_email_reads_like_a_letter(self):
        notice = self._send_to(self.alpha)
        body = self._mail_mails_of(notice.message_id).body_html
        self.assertIn("Dunning Notice", body)
        self.assertIn(notice.name.replace("/", "-"), body)
        self.assertNotIn("Your Contact", body)
        self.assertNotIn("Unfollow", body)
        self.assertNotIn("/mail/unfollow", body)
        # the recipient is the customer's invoicing contact, a person: greeted by name
        self.assertEqual(notice.recipient_ids, self.alpha_billing)
        self.assertIn("Dear Alpha Billing,", body)

    def test_french_customer_gets_a_french_letter(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.beta.lang = "fr_FR"
        notice = self._send_to(self.beta)
        body = self._mail_mails_of(notice.message_id).body_html
        self.assertIn("Avis de relance", body)
        self.assertIn("Beta Ltd", body, "a company recipient: greeted by the company's name")
        self.assertNotIn("Dunning Notice", body)
        self.assertNotIn("Unfollow", body)

    def test_printed_notice_is_an_internal_note_with_the_pdf(self):
        notice = self._send_to(self.alpha, to_email=False, to_print=True)
        message = notice.message_id
        self.assertEqual(message.subtype_id, self.env.ref("mail.mt_note"))
        self.assertTrue(message.subtype_id.internal)
        self.assertFalse(self._mail_mails_of(message))
        self.assertFalse(message.notification_ids)
        self.assertEqual(message.attachment_ids.name, notice._get_pdf_filename())
        self.assertEqual((message.model, message.res_id), ("dunning.notice", notice.id))
        self.assertEqual(message.attachment_ids, notice.pdf_attachment_id)

    def test_failed_email_resent_from_the_notice(self):
        notice = self._send_to(self.beta, to_email=True)
        mails = self._mail_mails_of(notice.message_id)
        self.assertEqual(len(mails), 1)
        with self.assertRaisesRegex(UserError, "Only notices whose email failed"):
            notice.with_user(self.accountant).action_resend()
        # the SMTP server refuses it: mail's own sending records the failure
        refused = MailDeliveryException("SMTP refused the recipient")
        with (
            self.mock_mail_gateway(),
            patch.object(type(self.env["ir.mail_server"]), "send_email", side_effect=refused),
        ):
            mails.send(raise_exception=False)
        self.assertEqual(notice.delivery_state, "failed")
        self.assertIn("SMTP refused", notice.notification_ids.failure_reason)
        with self.mock_mail_gateway():
            notice.with_user(self.accountant).action_resend()
        # the same message emailed again (18.0: a new email; 19.0: the failed one retried)
        self.assertIn("outgoing", self._mail_mails_of(notice.message_id).mapped("state"))
        self.assertIn(notice.delivery_state, ("outgoing", "sent"))
        self.assertEqual(self.env["dunning.notice"].search_count([("partner_id", "=", self.beta.id)]), 1)
        self.assertEqual(len(notice.message_ids.filtered(lambda m: m.subtype_id == notice.message_id.subtype_id)), 1)

    def test_feedback_after_print_and_email(self):
        self._invoice(self.carol, date(2026, 6, 20), 100, due=date(2026, 6, 25))

        def edit(line):
            line.to_print = line.partner_id == self.carol
            line.to_email = line.partner_id != self.carol

        wizard, action = self._send(edit=edit)
        self.assertEqual(action["tag"], "display_notification")
        run = wizard.notice_ids.run_id
        self.assertEqual(
            action["params"]["message"],
            f"3 notices queued: they are being sent in the background. The letters to print (1) are being "
            f"prepared: download them from run {run.name} (Download Letters) once they are ready.",
        )
        self.assertEqual(
            (action["params"]["next"]["res_model"], action["params"]["next"]["res_id"]), (run._name, run.id)
        )
        # once the queue processed them (here by _send), the same run's feedback
        action = wizard.notice_ids._get_result_action()
        self.assertEqual(action["params"]["message"], "2 emailed, 1 printed, 0 failed, 0 settled before sending.")
        # the printed letter downloads first, then the notices open
        then = action["params"]["next"]
        self.assertEqual(then["tag"], "dunning_notices.download_then_open")
        self.assertEqual(then["params"]["report"]["context"]["active_ids"], wizard.notice_ids.filtered("to_print").ids)
        self.assertEqual(then["params"]["next"]["res_model"], "dunning.notice")
        self.assertEqual(then["params"]["next"]["domain"], [("id", "in", sorted(wizard.notice_ids.ids))])

    def test_migration_makes_old_templates_list_overdue_items_only(self):
        """A database installed before 18.0.1.1.0 keeps its (noupdate) templates: the migration makes their
        table loop over the overdue lines only, in every language, keeping the admin's wording."""
        template = self.env.ref("dunning_notices.mail_template_dunning_level_1")
        self.env["res.lang"]._activate_lang("fr_FR")
        old_en = (
            '<div><p>My own wording</p><p t-foreach="object.line_ids" t-as="line" t-out="line.move_id.name"/></div>'
        )
        old_fr = '<div><p>Mon texte</p><p t-foreach="object.line_ids" t-as="line" t-out="line.move_id.name"/></div>'
        template.write(
            {
                "body_html": old_en,
                "reply_to": "{{ object.sender_email_formatted or object.company_id.email_formatted }}",
            }
        )
        template.update_field_translations("body_html", {"fr_FR": old_fr})
        spec = importlib.util.spec_from_file_location(
            "post_migrate", file_path("dunning_notices/migrations/18.0.1.1.0/post-migrate.py")
        )
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        migration.migrate(self.env.cr, "18.0.1.0.0")
        self.assertIn('t-foreach="object._get_overdue_lines()"', template.body_html)
        self.assertIn("My own wording", template.body_html)
        self.assertIn('t-foreach="object._get_overdue_lines()"', template.with_context(lang="fr_FR").body_html)
        self.assertIn("Mon texte", template.with_context(lang="fr_FR").body_html)
        self.assertFalse(template.reply_to)
        self.assertEqual(template.email_layout_xmlid, "dunning_notices.mail_notification_dunning")

    def test_migration_gives_old_templates_the_items_with_charges_and_pay_buttons(self):
        """A database installed before 18.0.1.2.0 keeps its (noupdate) templates: the migration replaces
        their table of overdue items by the items template (charges, pay buttons) in every language,
        calls the charges, and keeps the admin's wording; a body without that table is left alone."""
        template = self.env.ref("dunning_notices.mail_template_dunning_level_1")
        self.env["res.lang"]._activate_lang("fr_FR")
        table = (
            '<table style="width: 100%;"><thead><tr><th>{}</th></tr></thead><tbody>'
            '<tr t-foreach="object._get_overdue_lines()" t-as="line"><td t-out="line.move_id.name"/></tr>'
            "</tbody></table>"
        )
        old_en = f"<div><p>My own wording</p>{table.format('Invoice')}<p>Regards</p></div>"
        old_fr = f"<div><p>Mon texte</p>{table.format('Facture')}<p>Cordialement</p></div>"
        template.body_html = old_en
        template.update_field_translations("body_html", {"fr_FR": old_fr})
        other = self.env.ref("dunning_notices.mail_template_dunning_level_2")
        other.body_html = "<div><p>No table here</p></div>"
        other_body = str(other.body_html)  # as the series' sanitizer keeps it
        spec = importlib.util.spec_from_file_location(
            "post_migrate", file_path("dunning_notices/migrations/18.0.1.2.0/post-migrate.py")
        )
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        migration.migrate(self.env.cr, "18.0.1.1.0")
        calls = migration.ITEMS_CALL + migration.CHARGES_CALL
        for lang, wording in (("en_US", ("My own wording", "Regards")), ("fr_FR", ("Mon texte", "Cordialement"))):
            body = str(template.with_context(lang=lang).body_html)
            self.assertIn(calls, body)
            self.assertNotIn("<table", body)
            for text in wording:
                self.assertIn(text, body)
        self.assertEqual(str(other.body_html), other_body)
        # twice changes nothing
        migration.migrate(self.env.cr, "18.0.1.1.0")
        self.assertEqual(template.body_html.count("dunning_notice_email_items"), 1)
        # the emails of the old template now have the pay buttons
        self._invoice(self.alpha, AS_OF - timedelta(days=40), 500, due=AS_OF - timedelta(days=10))
        form = self._wizard_form(level_id=self._create_level_all())
        form.partner_ids.add(self.alpha)
        wizard = self._apply(form)
        wizard.line_ids.write({"to_print": False, "to_email": True})
        with self.mock_mail_gateway():
            wizard.action_send()
        body = self._new_mails.body_html
        self.assertIn("My own wording", body)
        self.assertIn("View and pay", body)

    def test_migration_body_upgrade_cases(self):
        """The 18.0.1.2.0 body upgrade: the items table inside a layout table the admin added is replaced
        alone (the layout kept whole); a body without the items table, or already upgraded, is unchanged."""
        spec = importlib.util.spec_from_file_location(
            "post_migrate", file_path("dunning_notices/migrations/18.0.1.2.0/post-migrate.py")
        )
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        items = '<table><tr t-foreach="object._get_overdue_lines()" t-as="line"><td>x</td></tr></table>'
        charges = migration.CHARGES_CALL
        nested = f"<table class='layout'><tr><td><p>Hello</p>{items}{charges}</td></tr></table>"
        self.assertEqual(
            migration.upgrade_body(nested),
            f"<table class='layout'><tr><td><p>Hello</p>{migration.ITEMS_CALL}{charges}</td></tr></table>",
        )
        before_table = f"<table><tr><td>Logo</td></tr></table><p>Hi</p>{items}"
        self.assertEqual(
            migration.upgrade_body(before_table),
            f"<table><tr><td>Logo</td></tr></table><p>Hi</p>{migration.ITEMS_CALL}{charges}",
        )
        for body in ("<p>No table</p>", f"<p>Done</p>{migration.ITEMS_CALL}{charges}", "<table><tr><td/></tr></table>"):
            self.assertEqual(migration.upgrade_body(body), body)
