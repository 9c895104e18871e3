# One file per concept of the notice (STYLE section 8), as Odoo splits account.move's.
# pylint: disable=consider-merging-classes-inherited
import logging

from markupsafe import Markup

from odoo import fields, models, tools
from odoo.exceptions import UserError
from odoo.tools import clean_context

from ..compat import message_record_name, resend_failed_emails

_logger = logging.getLogger(__name__)

DEFAULT_EMAIL_LAYOUT = "dunning_notices.mail_notification_dunning"
# Values of the composer that describe the record it runs on (the notice): message_post on the
# customer computes its own.
COMPOSER_RECORD_KEYS = ("record_alias_domain_id", "record_company_id", "record_name", "parent_id", "force_send")


class DunningNotice(models.Model):
    """Delivery of the notices through Odoo's own mail path: each notice's email rendered by mail's
    composer from the notice's template (everything the template sets is honoured), then posted on the
    customer with ``message_post``, which notifies the recipients through the mail queue."""

    _inherit = "dunning.notice"

    def _prepare_mail_values(self):
        """{notice id: values for message_post} of the notices to email, rendered with mail's composer
        in comment mode, one composer per template: subject, body, From, the template's recipients,
        attachments and reports, outgoing server, scheduled date, layout, language. A template that
        fails as a whole is rendered again notice by notice; a notice whose rendering fails gets the
        exception instead, raised when it is posted."""
        values = {}
        for template, notices in self.filtered("to_email").grouped("mail_template_id").items():
            if not template:
                continue
            try:
                with self.env.cr.savepoint():
                    values.update(notices._render_with_composer(template))
                continue
            except Exception:  # noqa: BLE001 - rendered again one by one, so that only the faulty fails
                _logger.info(
                    "Rendering %s for %s notices failed, rendering them one by one", template.name, len(notices)
                )
            for notice in notices:
                try:
                    with self.env.cr.savepoint():
                        values.update(notice._render_with_composer(template))
                except Exception as error:  # noqa: BLE001
                    values[notice.id] = error
        return values

    def _render_with_composer(self, template):
        # _prepare_mail_values is the composer's own preparation of message_post values from a template
        # (the "Send" button's): no public method returns them without posting on the rendered records.
        composer = (
            self.env["mail.compose.message"]
            .with_context(clean_context(self.env.context), mail_composer_force_partners=True)
            .create(
                {
                    "composition_mode": "comment",
                    "model": self._name,
                    "res_ids": str(self.ids),
                    "template_id": template.id,
                    "message_type": "comment",
                    "subtype_id": self.env.ref("dunning_notices.mt_dunning_notice").id,
                }
            )
        )
        return composer._prepare_mail_values(self.ids)

    def _post_notice(self, mail_values=None, pdfs=None):
        """Store the notice's PDF, post the notice on the customer (an email to its recipients, or an
        internal note with the PDF when it is only printed) and mark it processed."""
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

    def _get_customer_thread(self):
        """The customer's chatter, in the notice's company. sudo: an accountant reminds customers they
        may not edit, and posting on a record asks for write access to it (mail.thread)."""
        self.ensure_one()
        return (
            self.partner_id.sudo()
            .with_company(self.company_id)
            .with_context(mail_create_nosubscribe=True, mail_notify_force_send=False, tracking_disable=True)
        )

    def _post_email(self, mail_values, pdf, pdfs=None):
        self.ensure_one()
        if not self.mail_template_id:
            raise UserError(self.env._("No email template is set on notice %(name)s.", name=self.name))
        if not self.recipient_ids:
            raise UserError(self.env._("Notice %(name)s has no recipient to email.", name=self.name))
        values = dict(mail_values)
        for key in COMPOSER_RECORD_KEYS:
            values.pop(key, None)
        attachments, attachment_ids = list(values.pop("attachments", [])), list(values.get("attachment_ids", []))
        # the template may attach the notice report itself: one notice PDF in the email
        if pdf and self.level_id.attach_notice_pdf and self.report_id not in self.mail_template_id.report_template_ids:
            pdf_attachments, pdf_attachment_ids = self._get_chatter_pdf(pdf)
            attachments += pdf_attachments
            attachment_ids += pdf_attachment_ids
        invoices = self._get_invoice_attachments(pdfs) if self.attach_invoices else self.env["ir.attachment"]
        values.update(
            author_id=(self.sender_user_id.partner_id or self.env.user.partner_id).id,
            email_from=values.get("email_from") or self.sender_email_formatted,
            partner_ids=list(dict.fromkeys([*values.get("partner_ids", []), *self.recipient_ids.ids])),
            attachments=attachments,
            attachment_ids=[*attachment_ids, *invoices.ids],
            email_layout_xmlid=values.get("email_layout_xmlid") or DEFAULT_EMAIL_LAYOUT,
            **message_record_name(self.env, self.name),
        )
        return self._get_customer_thread().message_post(**values)

    def _get_chatter_pdf(self, pdf):
        """(attachments, attachment_ids) that put the notice PDF on the customer's message. A copy owned by
        the customer when the customer belongs to the notice's company: whoever sees the customer opens
        it. The notice's own PDF when the customer is shared between companies: only the notice's
        company may open it (its record rules), not the other companies that see the customer."""
        self.ensure_one()
        if self.partner_id.company_id == self.company_id:
            return [(pdf.name, pdf.raw)], []  # one file in the filestore for both
        return [], pdf.ids

    def _post_print_note(self, pdf):
        """A printed notice is logged on the customer as an internal note with its PDF: it is not a
        message to the customer."""
        self.ensure_one()
        body = Markup("<p>%s</p>") % self.env._(
            "Dunning notice %(name)s (%(level)s) printed: %(count)s overdue invoice(s), %(amount)s.",
            name=self.name,
            level=self.level_id.name,
            count=self.invoice_count,
            amount=tools.format_amount(self.env, self.amount_net, self.currency_id),
        )
        attachments, attachment_ids = self._get_chatter_pdf(pdf) if pdf else ([], [])
        return self._get_customer_thread().message_post(
            body=body,
            message_type="comment",
            subtype_xmlid="mail.mt_note",
            author_id=(self.sender_user_id.partner_id or self.env.user.partner_id).id,
            attachments=attachments,
            attachment_ids=attachment_ids,
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
