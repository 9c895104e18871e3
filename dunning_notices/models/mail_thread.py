from odoo import api, models
from odoo.tools import html2plaintext


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    @api.model
    def _routing_handle_bounce(self, email_message, message_dict):
        # EXTENDS mail: once Odoo has counted the bounce on the partner and marked the notification
        # bounced, the dunning notice of the bounced message is flagged and falls back to print. The
        # notices are found first: a report received twice finds their delivery already bounced.
        notices = self.env["dunning.notice"]._get_notices_of_bounce(message_dict)
        result = super()._routing_handle_bounce(email_message, message_dict)
        if notices:
            reason = html2plaintext(message_dict.get("body") or "").strip()
            notices._register_bounce(message_dict["bounced_email"], reason)
        return result
