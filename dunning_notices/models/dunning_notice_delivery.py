# One file per concept of the notice (STYLE section 8), as Odoo splits account.move's.
# pylint: disable=consider-merging-classes-inherited
import logging

from markupsafe import Markup

from odoo import api, fields, models

_logger = logging.getLogger(__name__)

PRINT_FALLBACK_SELECTION = [("none", "None"), ("pending", "To Print"), ("printed", "Printed")]


class DunningNotice(models.Model):
    """What happens to a notice after its email left: a bounce flags it, tells its sender and puts it
    on the "To print" list, from which printing it marks it printed."""

    _name = "dunning.notice"
    _inherit = ["dunning.notice", "mail.activity.mixin"]

    bounced = fields.Boolean(readonly=True, copy=False, index=True)
    bounce_info = fields.Text(
        string="Bounce", readonly=True, copy=False, help="The address that bounced and what its mail server said."
    )
    print_fallback = fields.Selection(
        PRINT_FALLBACK_SELECTION,
        required=True,
        readonly=True,
        default="none",
        copy=False,
        index=True,
        help="A notice whose email bounced is to be printed and posted: To Print until printed from the list.",
    )
    date_printed = fields.Datetime(string="Printed on", readonly=True, copy=False)

    # -------------------------------------------------------------------------
    # ACTIONS
    # -------------------------------------------------------------------------

    def action_print_fallback(self):
        """Print notices of the "To print" list: the stored PDFs, and the pending ones marked printed."""
        self._check_can_act()
        action = self.action_print()
        pending = self.filtered(lambda n: n.print_fallback == "pending")
        pending._write_state({"print_fallback": "printed", "date_printed": fields.Datetime.now()})
        for notice in pending:
            notice.message_post(
                body=self.env._("Printed for posting after the email bounced, by %(user)s.", user=self.env.user.name)
            )
        return action

    # -------------------------------------------------------------------------
    # BUSINESS
    # -------------------------------------------------------------------------

    def _register_bounce(self, bounced_email, reason):
        """The notices' email to ``bounced_email`` bounced, the server saying ``reason``: flag them, add
        them to the "To print" list and ask their sender to print and post them, or call."""
        todo_type = self.env.ref("mail.mail_activity_data_todo")
        for notice in self:
            info = f"{bounced_email}: {reason}" if reason else bounced_email
            vals = {"bounced": True, "bounce_info": "\n".join(filter(None, [notice.bounce_info, info]))}
            if notice.print_fallback == "none":
                vals["print_fallback"] = "pending"
            notice._write_state(vals)
            user = notice._get_bounce_user()
            summary = notice.with_context(lang=user.lang).env._(
                "Email to %(email)s bounced: print and post, or call", email=bounced_email
            )
            notice.sudo().activity_schedule(
                activity_type_id=todo_type.id,
                summary=summary,
                note=Markup("<p>%s</p>") % (reason or ""),
                user_id=user.id,
            )

    def _get_bounce_user(self):
        """Who is told of a bounce: the notice's sender when they may read it, else who sent the run."""
        self.ensure_one()
        sender = self.sender_user_id
        if sender and sender.active and not sender.share and self.with_user(sender).has_access("read"):
            return sender
        return self.create_uid

    @api.model
    def _get_notices_of_bounce(self, message_dict):
        """The notices whose email the parsed bounce ``message_dict`` reports as bounced for the first
        time: the notice of the bounced message, when the bounced address is one of its recipients and
        its delivery to that address is not already marked bounced (a report received twice). Called
        before mail marks the deliveries bounced."""
        message = message_dict.get("bounced_message")
        bounced_email = message_dict.get("bounced_email")
        if not message or not bounced_email:
            return self.browse()
        bounced_partners = message_dict.get("bounced_partner") or self.env["res.partner"]
        # sudo: the gateway finds notices of every company, whoever runs it
        notices = self.sudo().with_context(active_test=False).search([("message_id", "=", message.id)])
        return notices.filtered(
            lambda n: (
                (bounced_email in n.recipient_ids.mapped("email_normalized") or n.recipient_ids & bounced_partners)
                and not n.notification_ids.filtered(
                    lambda notif: notif.res_partner_id in bounced_partners and notif.notification_status == "bounce"
                )
            )
        )
