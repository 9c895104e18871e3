import ast
from datetime import date, timedelta
from itertools import count

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import mute_logger

from .common import AS_OF, DunningTestCommon

# A delivery status notification as Postfix sends it back to the Return-Path (RFC 3464): a human
# readable part, the machine readable report with Final-Recipient, and the headers of the email
# that bounced, whose Message-Id is the one of the notice's mail.message.
DSN_TEMPLATE = """\
Return-Path: <>
Received: by mail.customer.example.com (Postfix) id 4Xq2Tf0Zz9; Tue, 30 Jun 2026 10:12:07 +0200 (CEST)
Date: Tue, 30 Jun 2026 10:12:07 +0200 (CEST)
From: MAILER-DAEMON@mail.customer.example.com (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: {to}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
    boundary="4Xq2Tf0Zz9.1782807127/mail.customer.example.com"
Message-Id: <{dsn_id}@mail.customer.example.com>

This is a MIME-encapsulated message.

--4Xq2Tf0Zz9.1782807127/mail.customer.example.com
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mail.customer.example.com.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<{bounced}>: host mx.customer.example.com[203.0.113.7] said: 550 5.1.1
    <{bounced}>: Recipient address rejected: User unknown in virtual mailbox
    table (in reply to RCPT TO command)

--4Xq2Tf0Zz9.1782807127/mail.customer.example.com
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.customer.example.com
X-Postfix-Queue-ID: 4Xq2Tf0Zz9
X-Postfix-Sender: rfc822; {to}
Arrival-Date: Tue, 30 Jun 2026 10:12:06 +0200 (CEST)

Final-Recipient: rfc822; {bounced}
Original-Recipient: rfc822;{bounced}
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.customer.example.com
Diagnostic-Code: smtp; 550 5.1.1 <{bounced}>: Recipient address rejected: User
    unknown in virtual mailbox table

--4Xq2Tf0Zz9.1782807127/mail.customer.example.com
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

Return-Path: <{to}>
Received: from odoo.company.example.com (odoo.company.example.com [198.51.100.2])
    by mail.customer.example.com (Postfix) with ESMTPS id 4Xq2Tf0Zz9
    for <{bounced}>; Tue, 30 Jun 2026 10:12:06 +0200 (CEST)
Message-Id: {message_id}
References: {message_id}
Subject: {subject}
From: billing@company.example.com
To: {bounced}
Date: Tue, 30 Jun 2026 10:12:05 +0200

--4Xq2Tf0Zz9.1782807127/mail.customer.example.com--
"""


@tagged("post_install", "-at_install")
class TestDunningNoticeBounce(DunningTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.carol_inv = cls._invoice(cls.carol, date(2026, 6, 10), 400, due=date(2026, 6, 20))
        cls.alpha_inv = cls._invoice(cls.alpha, date(2026, 6, 10), 500, due=date(2026, 6, 20))
        cls._dsn_numbers = count(1)

    def _send_to(self, partner, user=None, edit=None, **values):
        """Send ``partner`` a notice through the wizard, then its emails through the mail queue."""
        form = self._wizard_form(user=user, **values)
        form.partner_ids.add(partner)
        wizard, _action = self._send(form=form, edit=edit, user=user)
        notice = wizard.notice_ids
        self.assertEqual(len(notice), 1)
        mails = self.env["mail.mail"].sudo().search([("mail_message_id", "=", notice.message_id.id)])
        with self.mock_mail_gateway():
            mails.send()
        self.assertEqual(notice.delivery_state, "sent")
        return notice

    def _bounce(self, message, bounced_email):
        """Process, as the incoming mail server would, the report of ``message``'s email to
        ``bounced_email`` sent back to the bounce address of the message's alias domain."""
        bounce_address = message.record_alias_domain_id.bounce_email
        self.assertTrue(bounce_address, "the notice's email went out without a bounce address")
        raw = DSN_TEMPLATE.format(
            to=bounce_address,
            dsn_id=f"dsn-{next(self._dsn_numbers)}",
            bounced=bounced_email,
            message_id=message.message_id,
            subject=message.subject or "",
        )
        with self.mock_mail_gateway(), mute_logger("odoo.addons.mail.models.mail_thread"):
            self.env["mail.thread"].sudo().message_process(None, raw)

    def _activities(self, notice):
        return self.env["mail.activity"].search([("res_model", "=", "dunning.notice"), ("res_id", "=", notice.id)])

    def test_bounce_flags_notice_tells_sender_and_falls_back_to_print(self):
        notice = self._send_to(self.carol, user=self.accountant)
        mail_headers = self._mails[0]["headers"]
        self.assertEqual(mail_headers.get("Return-Path"), notice.message_id.record_alias_domain_id.bounce_email)
        self.assertEqual(self.carol.message_bounce, 0)

        self._bounce(notice.message_id, "carol@example.com")

        self.assertRecordValues(
            notice, [{"bounced": True, "delivery_state": "bounced", "print_fallback": "pending", "date_printed": False}]
        )
        self.assertIn("carol@example.com", notice.bounce_info)
        self.assertIn("User unknown", notice.bounce_info, "the server's text is kept")
        self.assertEqual(self.carol.message_bounce, 1, "Odoo counts the bounce on the customer")
        self.assertRecordValues(
            notice.notification_ids, [{"notification_status": "bounce", "failure_type": "mail_bounce"}]
        )
        # what the notice says of the bounce is what mail recorded on its email's notification
        self.assertEqual(notice.bounce_info, f"carol@example.com: {notice.notification_ids.failure_reason.strip()}")
        activity = self._activities(notice)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.accountant, "the notice's sender is told")
        self.assertEqual(activity.activity_type_id, self.env.ref("mail.mail_activity_data_todo"))
        self.assertIn("carol@example.com", activity.summary)
        self.assertIn("print and post, or call", activity.summary)
        # the sender sees the activity on the notice, and may mark it done
        self.assertEqual(notice.with_user(self.accountant).activity_ids, activity)
        activity.with_user(self.accountant).action_feedback(feedback="Posted")
        self.assertFalse(self._activities(notice))

        # the same report received twice is not a second task (Odoo counts it again on the customer)
        info = notice.bounce_info
        self._bounce(notice.message_id, "carol@example.com")
        self.assertFalse(self._activities(notice))
        self.assertEqual(notice.bounce_info, info)
        self.assertEqual(self.carol.message_bounce, 2)

    def test_bounced_notice_is_not_delivered_anywhere(self):
        """Issue 23: a bounced notice keeps its customer neither out of the next run (minimum interval)
        nor on the wizard's Last Notice nor on the invoice's Last Dunning: one definition of delivered."""
        self.company.dunning_min_interval_days = 30
        with freeze_time(AS_OF):
            notice = self._send_to(self.carol, user=self.accountant)
        self.assertEqual(self.carol_inv.last_dunning_level_id, self.level_early, "delivered, until it bounces")
        self._bounce(notice.message_id, "carol@example.com")
        self.assertEqual(notice.delivery_state, "bounced")
        self.carol_inv.invalidate_recordset()
        self.assertFalse(self.carol_inv.last_dunning_level_id)
        self.assertFalse(self.carol_inv.last_dunning_date)
        form = self._wizard_form(as_of_date=AS_OF + timedelta(days=15))
        form.partner_ids.add(self.carol)
        wizard = form.save()
        wizard.action_apply_filters()
        line = self._line(wizard, self.carol)
        self.assertFalse(line.excluded, line.exclusion_reason)
        self.assertFalse(line.last_notice_id)
        # a delivered one does keep the customer out
        notice.notification_ids.sudo().write({"notification_status": "sent"})
        wizard.action_apply_filters()
        line = self._line(wizard, self.carol)
        self.assertEqual((line.exclusion_reason, line.exclusion_notice_id), ("min_interval", notice))
        self.assertEqual(line.last_notice_id, notice)

    def test_two_recipients_one_bounces(self):
        def add_second_address(line):
            line.extra_emails = "boss@alpha.example.com"

        notice = self._send_to(self.alpha, edit=add_second_address)
        boss = self.env["res.partner"].search([("email_normalized", "=", "boss@alpha.example.com")])
        self.assertEqual(notice.recipient_ids, self.alpha_billing | boss)
        self.assertEqual(notice.notification_ids.mapped("notification_status"), ["sent", "sent"])

        self._bounce(notice.message_id, "ap@alpha.example.com")

        statuses = {n.res_partner_id: n.notification_status for n in notice.notification_ids}
        self.assertEqual(statuses, {self.alpha_billing: "bounce", boss: "sent"})
        self.assertRecordValues(notice, [{"bounced": True, "delivery_state": "bounced", "print_fallback": "pending"}])
        self.assertIn("ap@alpha.example.com", notice.bounce_info)
        self.assertNotIn("boss@alpha.example.com", notice.bounce_info)
        self.assertEqual(self.alpha_billing.message_bounce, 1)
        self.assertEqual(boss.message_bounce, 0)
        self.assertEqual(self._activities(notice).user_id, self.env.user, "the sender of the run (admin) is told")

    def test_bounce_not_referencing_a_notice_changes_nothing(self):
        notice = self._send_to(self.alpha)
        # another email to the same contact, from the customer's chatter
        other = self.alpha.message_post(
            body="About your order",
            partner_ids=self.alpha_billing.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        other_mails = self.env["mail.mail"].sudo().search([("mail_message_id", "=", other.id)])
        with self.mock_mail_gateway():
            other_mails.send()
        before = notice.read(["bounced", "bounce_info", "print_fallback", "date_printed", "delivery_state"])

        self._bounce(other, "ap@alpha.example.com")
        # and a report of an email Odoo never sent
        unknown = self.env["mail.message"].new({"message_id": "<unknown-123@elsewhere.example.com>", "subject": "Hi"})
        unknown.record_alias_domain_id = notice.message_id.record_alias_domain_id
        self._bounce(unknown, "ap@alpha.example.com")

        self.assertEqual(self.alpha_billing.message_bounce, 2, "Odoo still counts the bounces on the contact")
        self.env.invalidate_all()
        self.assertEqual(
            notice.read(["bounced", "bounce_info", "print_fallback", "date_printed", "delivery_state"]), before
        )
        self.assertEqual(notice.delivery_state, "sent")
        self.assertFalse(self._activities(notice))

    def test_printing_from_the_to_print_list_marks_printed(self):
        notice = self._send_to(self.carol, user=self.accountant)
        self._bounce(notice.message_id, "carol@example.com")
        action = (
            self.env["ir.actions.actions"]
            .with_user(self.accountant)
            ._for_xml_id("dunning_notices.dunning_notice_action_to_print")
        )
        self.assertEqual(action["res_model"], "dunning.notice")
        self.assertTrue(action["context"])
        to_print = (
            self.env["dunning.notice"]
            .with_user(self.accountant)
            .search([*ast.literal_eval(action["domain"]), ("print_fallback", "=", "pending")])
        )
        self.assertEqual(to_print, notice)

        result = to_print.action_print_fallback()

        self.assertEqual(result["type"], "ir.actions.report")
        self.assertEqual(result["context"]["active_ids"], notice.ids)
        self.assertEqual(notice.print_fallback, "printed")
        self.assertTrue(notice.date_printed)
        self.assertIn("Printed for posting", notice.message_ids[0].body)
        self.assertFalse(
            self.env["dunning.notice"].with_user(self.accountant).search([("print_fallback", "=", "pending")])
        )
        # printed again later: the date of the first print stays
        first = notice.date_printed
        to_print.action_print_fallback()
        self.assertEqual(notice.date_printed, first)

    def test_to_print_list_access(self):
        notice = self._send_to(self.carol, user=self.accountant)
        self._bounce(notice.message_id, "carol@example.com")
        other_company = self.setup_other_company(name="Company B")["company"]
        other_accountant = new_test_user(
            self.env,
            login="bounce_other_accountant",
            groups="base.group_user,account.group_account_invoice",
            company_id=other_company.id,
            company_ids=[Command.set(other_company.ids)],
        )
        domain = [("print_fallback", "=", "pending")]
        self.assertEqual(self.env["dunning.notice"].with_user(self.accountant).search(domain), notice)
        self.assertFalse(self.env["dunning.notice"].with_user(other_accountant).search(domain))
        # the Letters to Print worklist: the notice's company only, and never written by a user
        to_print = [("letter_to_print", "=", True)]
        self.assertEqual(self.env["dunning.notice"].with_user(self.accountant).search(to_print), notice)
        self.assertFalse(self.env["dunning.notice"].with_user(other_accountant).search(to_print))
        with self.assertRaises(AccessError):
            notice.with_user(self.accountant).write({"letter_to_print": False})
        with self.assertRaises(AccessError):
            notice.with_user(other_accountant).action_print_fallback()
        with self.assertRaises(AccessError):
            notice.with_user(self.accountant).write({"print_fallback": "printed"})
        with self.assertRaises(AccessError):
            notice.with_user(self.accountant).write({"bounced": False})
        self.assertEqual(notice.print_fallback, "pending")
        # the menu and its views load for a billing user
        menus = self.env["ir.ui.menu"].with_user(self.accountant).load_menus(debug=False)
        self.assertIn(self.env.ref("dunning_notices.dunning_notice_to_print_menu").id, menus)
        views = (
            self.env["dunning.notice"]
            .with_user(self.accountant)
            .get_views(
                [(self.env.ref("dunning_notices.dunning_notice_view_list_to_print").id, "list"), (False, "form")]
            )
        )
        self.assertIn("action_print_fallback", views["views"]["list"]["arch"])
        self.assertIn("bounce_info", views["views"]["form"]["arch"])
        form = Form(notice.with_user(self.accountant))
        self.assertEqual(form.print_fallback, "pending")

    def test_sender_without_access_falls_back_to_the_creator(self):
        employee = new_test_user(
            self.env,
            login="bounce_employee",
            groups="base.group_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        notice = self._send_to(self.carol, user=self.accountant, sender_user_id=employee)
        self.assertEqual(notice.sender_user_id, employee)
        self._bounce(notice.message_id, "carol@example.com")
        self.assertEqual(self._activities(notice).user_id, self.accountant)

    def test_bounced_or_blacklisted_customers_are_proposed_print(self):
        notice = self._send_to(self.carol)
        self._bounce(notice.message_id, "carol@example.com")
        self.env["mail.blacklist"].sudo()._add("beta@example.com")
        customers = self.alpha | self.beta | self.carol | self.dan
        notes = customers.with_user(self.accountant)._get_dunning_bounced()
        self.assertEqual(set(notes), {self.beta, self.carol})
        self.assertIn("carol@example.com", notes[self.carol])
        self.assertIn("beta@example.com", notes[self.beta])
        # mail received from the address again: Odoo resets its counter, email is proposed again
        self.carol._message_reset_bounce("carol@example.com")
        self.assertNotIn(self.carol, customers._get_dunning_bounced())

    def test_wizard_proposes_print_for_a_bounced_customer(self):
        notice = self._send_to(self.carol)
        self._bounce(notice.message_id, "carol@example.com")
        # the next run, a day later (the same level and date would be a duplicate)
        form = self._wizard_form(user=self.accountant, as_of_date=AS_OF + timedelta(days=1))
        form.partner_ids.add(self.carol)
        form.partner_ids.add(self.alpha)
        lines = self._lines_by_partner(self._apply(form))
        self.assertRecordValues(
            lines[self.carol], [{"to_email": False, "to_print": True, "recipient_ids": self.carol.ids}]
        )
        self.assertIn("carol@example.com", lines[self.carol].delivery_note)
        self.assertRecordValues(lines[self.alpha], [{"to_email": True, "to_print": False, "delivery_note": False}])

    def test_bounced_lookup_query_count_does_not_grow(self):
        counts = []
        for prefix, size in (("few", 5), ("many", 60)):
            partners = self.env["res.partner"].create(
                [{"name": f"{prefix} {i}", "email": f"{prefix}{i}@example.com"} for i in range(size)]
            )
            partners[0].message_bounce = 1
            self.env["mail.blacklist"].sudo()._add(f"{prefix}1@example.com")
            recipients = partners._get_dunning_recipients()
            partners._get_dunning_bounced(recipients)  # warm the registry caches
            self.env.invalidate_all()
            with self.assertQueryCount(4):  # the bound; inside it random maintenance queries are muted
                count0 = self.cr.sql_log_count
                notes = partners._get_dunning_bounced(recipients)
                counts.append(self.cr.sql_log_count - count0)
            self.assertEqual(set(notes), set(partners[:2]))
        self.assertEqual(counts[0], counts[1], "one lookup for all the customers")
