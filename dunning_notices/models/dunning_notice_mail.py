# One file per concept of the notice (STYLE section 8), as Odoo splits account.move's.
# pylint: disable=consider-merging-classes-inherited
import logging
import time

from markupsafe import Markup

from odoo import fields, models, tools
from odoo.exceptions import UserError
from odoo.tools import clean_context
from odoo.tools.safe_eval import safe_eval

from ..compat import message_record_name, resend_failed_emails

_logger = logging.getLogger(__name__)

DEFAULT_EMAIL_LAYOUT = "dunning_notices.mail_notification_dunning"
# What a template sets, as mail.template.send_mail renders it (_generate_template): the rendered fields,
# its recipients (partner_to, email_to, email_cc: partners), its attachments, scheduled date and static
# settings. Its reports are attached by the notice (_get_template_report_attachments): the notice's own
# report is the stored notice PDF, not a second rendering.
TEMPLATE_RENDER_FIELDS = (
    "subject",
    "body_html",
    "email_from",
    "reply_to",
    "lang",
    "partner_to",
    "email_to",
    "email_cc",
    "scheduled_date",
    "attachment_ids",
    "auto_delete",
    "email_layout_xmlid",
    "mail_server_id",
)


class DunningNotice(models.Model):
    """Delivery of the notices through Odoo's public mail path: each notice's email rendered from the
    notice's template by mail.template, a batch of notices at once (everything the template sets is
    honoured), then posted on the notice itself with ``message_post``, which notifies the recipients
    through the mail queue. The email, its amounts and its PDF live on the notice, whose record rules
    keep them to the notice's company (a customer may be shared by several companies); the customer's
    chatter gets a log line without amounts that links to the notice. Replies and bounces reach the
    notice."""

    _inherit = "dunning.notice"

    def _render_notice_emails(self):
        """{notice id: values for message_post} of the notices to email, rendered once per template for
        all its notices: subject and body in the customer's language, From, Reply-To, the template's
        recipients, attachments and reports, outgoing server, scheduled date, layout, auto-delete. A
        template that fails as a whole is rendered again notice by notice; a notice whose rendering
        fails gets the exception instead, raised when it is posted."""
        values = {}
        for template, notices in self.filtered("to_email").grouped("mail_template_id").items():
            if not template:
                continue
            try:
                with self.env.cr.savepoint():
                    values.update(notices._render_template_email(template))
                continue
            except Exception:  # noqa: BLE001 - rendered again one by one, so that only the faulty fails
                _logger.info(
                    "Rendering %s for %s notices failed, rendering them one by one", template.name, len(notices)
                )
            for notice in notices:
                try:
                    with self.env.cr.savepoint():
                        values.update(notice._render_template_email(template))
                except Exception as error:  # noqa: BLE001
                    values[notice.id] = error
        return values

    def _render_template_email(self, template):
        """{notice id: message_post values} of ``template`` rendered for the notices ``self`` in one
        call. ``_generate_template`` is mail.template's own rendering, the one its public ``send_mail``
        uses (per language, recipients found or created as partners, as the composer's "Send" does);
        no public method returns it without sending. Compared with the composer's email by
        test_template_settings_honoured_as_the_composer_does."""
        rendered = template.with_context(clean_context(self.env.context))._generate_template(
            self.ids, TEMPLATE_RENDER_FIELDS, find_or_create_partners=True
        )
        subtype_id = self.env.ref("dunning_notices.mt_dunning_notice").id
        values = {}
        for notice in self:
            render = rendered[notice.id]
            vals = {
                "subject": render.get("subject") or False,
                "body": render.get("body_html") or "",
                "email_from": render.get("email_from") or False,
                "partner_ids": render.get("partner_ids") or [],
                # the template's files, copied onto the notice as the composer copies them
                "attachment_ids": render.get("attachment_ids") or [],
                "attachments": notice._get_template_report_attachments(template),
                "mail_server_id": render.get("mail_server_id") or False,
                "email_layout_xmlid": render.get("email_layout_xmlid") or DEFAULT_EMAIL_LAYOUT,
                "mail_auto_delete": render.get("auto_delete", True),
                # the layout around the body in the customer's language, as the body
                "force_email_lang": render.get("lang") or False,
                "message_type": "comment",
                "subtype_id": subtype_id,
                # the template defines the whole body: no signature added (the composer's choice too)
                "email_add_signature": False,
            }
            if render.get("scheduled_date"):
                vals["scheduled_date"] = render["scheduled_date"]
            # the template's Reply-To, if any; else message_post routes replies to the notice (its alias)
            if render.get("reply_to"):
                vals["reply_to"] = render["reply_to"]
            values[notice.id] = vals
        return values

    def _get_template_report_attachments(self, template):
        """[(file name, content)] of the template's reports other than the notice's own (which the
        email gets once, as the stored notice PDF), rendered by the report engine as mail.template does."""
        self.ensure_one()
        attachments = []
        report_model = self.env["ir.actions.report"]
        for report in template.report_template_ids - self.report_id:
            if report.report_type in ("qweb-html", "qweb-pdf"):
                content, extension = report_model._render_qweb_pdf(report, self.ids)
            else:
                content, extension = report_model._render(report, self.ids)
            name = report.print_report_name and safe_eval(report.print_report_name, {"object": self, "time": time})
            name = name or report.name
            if not name.endswith(f".{extension}"):
                name = f"{name}.{extension}"
            attachments.append((name, content))
        return attachments

    def _attaches_notice_pdf(self):
        """Whether the notice's email carries its PDF: its level's setting, or its template's reports."""
        self.ensure_one()
        return self.level_id.attach_notice_pdf or self.report_id in self.mail_template_id.report_template_ids

    def _post_notice(self, mail_values=None, pdfs=None):
        """Store the notice's PDF, post the notice on itself (an email to its recipients, or an internal
        note with the PDF when it is only printed), log it on the customer and mark it processed."""
        self.ensure_one()
        if isinstance(mail_values, Exception):
            raise mail_values
        pdf = self.env["ir.attachment"]
        if self._needs_pdf():
            # a retried notice keeps the PDF it had; sudo: the notice's attachments are server-written
            pdf = self._get_stored_pdf() or self.env["ir.attachment"].sudo().create(
                {
                    "name": self._get_pdf_filename(),
                    "raw": self._get_pdf_content(pdfs),
                    "res_model": self._name,
                    "res_id": self.id,
                    "mimetype": "application/pdf",
                }
            )
        if self.to_email:
            message = self._post_email(mail_values, pdf, pdfs)
        else:
            message = self._post_print_note(pdf)
        self._write_state(
            {
                "message_id": message.id,
                "pdf_attachment_id": pdf.id,
                "state": "done",
                "error_message": False,
                "date_sent": fields.Date.context_today(self),
            }
        )

    def _get_notice_thread(self):
        """The notice's own chatter, in its company. sudo: users only read notices (posting asks for
        write access), the server writes them."""
        self.ensure_one()
        return (
            self.sudo()
            .with_company(self.company_id)
            .with_context(mail_create_nosubscribe=True, mail_notify_force_send=False, tracking_disable=True)
        )

    def _get_sender_email_from(self):
        """The From of the notice's email: its sender user's address when the user is an internal user
        of the notice's company, else the company's. Never a text a user typed: a billing user could
        otherwise send as anyone."""
        self.ensure_one()
        user = self.sender_user_id
        if user.email and not user.share and self.company_id in user.company_ids:
            return tools.formataddr((user.name or "", user.email))
        return self.company_id.email_formatted

    def _get_author(self):
        self.ensure_one()
        return self.sender_user_id.partner_id or self.env.user.partner_id

    def _post_email(self, mail_values, pdf, pdfs=None):
        self.ensure_one()
        if not self.mail_template_id:
            raise UserError(self.env._("No email template is set on notice %(name)s.", name=self.name))
        if not self.recipient_ids:
            raise UserError(self.env._("Notice %(name)s has no recipient to email.", name=self.name))
        values = dict(mail_values)
        # the template's own files, copied onto the notice as the composer copies them (their owner stays
        # the template); sudo: the notice's attachments are server-written
        template_files = self.env["ir.attachment"].browse(values.pop("attachment_ids", []))
        attachment_ids = template_files.sudo().copy({"res_model": self._name, "res_id": self.id}).ids
        if pdf and self._attaches_notice_pdf():  # the notice PDF once, even when the template lists its report
            attachment_ids += pdf.ids
        invoices = self._get_invoice_attachments(pdfs) if self.attach_invoices else self.env["ir.attachment"]
        values.update(
            author_id=self._get_author().id,
            # the sender's address, checked against the sender user and the company (_check_sender)
            email_from=values.get("email_from") or self._get_sender_email_from(),
            partner_ids=list(dict.fromkeys([*values.get("partner_ids", []), *self.recipient_ids.ids])),
            attachment_ids=[*attachment_ids, *invoices.ids],
            **message_record_name(self.env, self.name),
        )
        return self._get_notice_thread().message_post(**values)

    def _post_print_note(self, pdf):
        """A printed notice is logged on itself as an internal note with its PDF: it is not a message to
        the customer."""
        self.ensure_one()
        body = Markup("<p>%s</p>") % self.env._(
            "Dunning notice %(name)s (%(level)s) printed: %(count)s overdue invoice(s), %(amount)s.",
            name=self.name,
            level=self.level_id.name,
            count=self.invoice_count,
            amount=tools.format_amount(self.env, self.amount_net, self.currency_id),
        )
        return self._get_notice_thread().message_post(
            body=body,
            message_type="comment",
            subtype_xmlid="mail.mt_note",
            author_id=self._get_author().id,
            attachment_ids=pdf.ids,
        )

    def _log_on_customers(self):
        """One log line per notice on its customer's chatter: number (a link to the notice), level,
        channel and sender, no amount nor PDF: every company sharing the customer reads its chatter,
        only the notice's company reads the notice. In batch: a message create per author and round
        (a customer twice in a batch gets its second line in the next round), not a post per notice."""
        rounds = {}
        for notice in self:
            by_author = rounds.setdefault(notice._get_author(), [])
            for round_ in by_author:
                if notice.partner_id not in round_:
                    round_[notice.partner_id] = notice
                    break
            else:
                by_author.append({notice.partner_id: notice})
        for author, author_rounds in rounds.items():
            for round_ in author_rounds:
                partners = self.env["res.partner"].concat(*round_)
                # sudo: an accountant reminds customers they may not edit (logging asks for write access)
                partners.sudo()._message_log_batch(
                    bodies={partner.id: notice._get_customer_log_body() for partner, notice in round_.items()},
                    author_id=author.id,
                )

    def _get_customer_log_body(self):
        self.ensure_one()
        channel = self.env._("email") if self.to_email else self.env._("print")
        return Markup("<p>%s</p>") % self.env._(
            "Dunning notice %(notice)s (%(level)s) sent by %(channel)s by %(sender)s.",
            notice=self._get_html_link(title=self.name),
            level=self.level_id.name,
            channel=channel,
            sender=self._get_author().name,
        )

    def action_resend(self):
        """Send the failed emails of the notices again, through Odoo's own resend (the envelope icon of a
        message in the chatter): the same message, notice and number; delivered emails are not resent."""
        self._check_can_act()
        failed = self.filtered(lambda notice: notice.delivery_state == "failed" and notice.message_id)
        if not failed:
            raise UserError(
                self.env._(
                    "Only notices whose email failed can be sent again, not %(notices)s.",
                    notices=", ".join(self.mapped("name")),
                )
            )
        for notice in failed:
            # the failed sendings only: an address that bounced would bounce again (it is to be printed)
            resend_failed_emails(notice.message_id)
        return True

    def _get_greeting_name(self):
        """Whom the email greets: the contact it goes to when that is a person, else the customer."""
        self.ensure_one()
        person = self.recipient_ids.filtered(lambda partner: not partner.is_company)[:1]
        return person.name or self.partner_id.name
