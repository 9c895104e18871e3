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

    _inherit = "dunning.notice"

    bounced = fields.Boolean(readonly=True, copy=False, index=True)
    # what mail recorded on the notice's email: the addresses that bounced and their servers' replies
    bounce_info = fields.Text(
        string="Bounce",
        compute="_compute_bounce_info",
        store=True,
        help="The address that bounced and what its mail server said.",
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
    # the worklist of Customers > Dunning > Letters to Print
    letter_to_print = fields.Boolean(
        string="Letter to Print",
        compute="_compute_letter_to_print",
        store=True,
        index=True,
        help="A processed letter is to be printed and posted until it is downloaded: from Letters to Print, "
        "its run's Download Letters or the download after sending. A notice whose email bounced is too.",
    )

    # -------------------------------------------------------------------------
    # COMPUTE
    # -------------------------------------------------------------------------

    @api.depends("message_id.notification_ids.notification_status", "message_id.notification_ids.failure_reason")
    def _compute_bounce_info(self):
        # Odoo writes the bounce on the email's notification (its status and the server's text) right
        # after it called _message_receive_bounce on the notice
        for notice in self:
            bounced = notice.message_id.notification_ids.filtered(lambda n: n.notification_status == "bounce")
            notice.bounce_info = (
                "\n".join(
                    ": ".join(filter(None, [notif.res_partner_id.email, (notif.failure_reason or "").strip()]))
                    for notif in bounced
                )
                or False
            )

    @api.depends("to_print", "state", "date_printed", "print_fallback")
    def _compute_letter_to_print(self):
        for notice in self:
            notice.letter_to_print = notice.print_fallback == "pending" or (
                notice.to_print and notice.state == "done" and not notice.date_printed
            )

    # -------------------------------------------------------------------------
    # ACTIONS
    # -------------------------------------------------------------------------

    def action_print_fallback(self):
        """Print notices of the Letters to Print list: the stored PDFs, each marked printed."""
        self._check_can_act()
        action = self.action_print()
        self._mark_letters_printed()
        return action

    # -------------------------------------------------------------------------
    # BUSINESS
    # -------------------------------------------------------------------------

    def _mark_letters_printed(self):
        """The letters of ``self`` were handed to the user to print and post: off the Letters to Print
        list. The date of the first print stays; a bounced notice says on its chatter that it was printed."""
        if unprinted := self.filtered(lambda n: not n.date_printed):
            unprinted._write_state({"date_printed": fields.Datetime.now()})
        pending = self.filtered(lambda n: n.print_fallback == "pending")
        pending._write_state({"print_fallback": "printed"})
        for notice in pending:
            notice.message_post(
                body=self.env._("Printed for posting after the email bounced, by %(user)s.", user=self.env.user.name)
            )

    def _message_receive_bounce(self, email, partner):
        # EXTENDS mail: Odoo calls this on the record the bounced email was posted on (the notice), with
        # the address that bounced and its partners, before it marks the email's notifications bounced
        self._get_first_bounces(email, partner)._register_bounce(email)
        return super()._message_receive_bounce(email, partner)

    def _get_first_bounces(self, bounced_email, bounced_partners):
        """The notices of ``self`` whose email to ``bounced_email`` bounces for the first time: the
        address is one of their recipients, and their delivery to it is not marked bounced yet (a
        report received twice)."""
        bounced_partners = bounced_partners or self.env["res.partner"]
        return self.filtered(
            lambda n: (
                (bounced_email in n.recipient_ids.mapped("email_normalized") or n.recipient_ids & bounced_partners)
                and not n.notification_ids.filtered(
                    lambda notif: notif.res_partner_id in bounced_partners and notif.notification_status == "bounce"
                )
            )
        )

    def _register_bounce(self, bounced_email):
        """The notices' email to ``bounced_email`` bounced: flag them, add them to the "To print" list
        and ask their sender to print and post them, or call. What the mail server said is the notice's
        ``bounce_info``, from the bounced notification."""
        todo_type = self.env.ref("mail.mail_activity_data_todo")
        for notice in self:
            vals = {"bounced": True}
            if notice.print_fallback == "none":
                vals["print_fallback"] = "pending"
            notice._write_state(vals)
            user = notice._get_bounce_user()
            notice_env = notice.with_context(lang=user.lang).env
            notice.sudo().activity_schedule(
                activity_type_id=todo_type.id,
                summary=notice_env._("Email to %(email)s bounced: print and post, or call", email=bounced_email),
                note=Markup("<p>%s</p>")
                % notice_env._("What the mail server said is on the notice, under Email bounced."),
                user_id=user.id,
            )

    def _get_bounce_user(self):
        """Who is told of a bounce: the notice's sender when they may read it, else who sent the run."""
        self.ensure_one()
        sender = self.sender_user_id
        if sender and sender.active and not sender.share and self.with_user(sender).has_access("read"):
            return sender
        return self.create_uid
