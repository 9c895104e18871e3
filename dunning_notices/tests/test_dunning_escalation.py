from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.tests import Form, tagged

from .common import DunningTestCommon

DUE = date(2026, 1, 1)


@tagged("post_install", "-at_install")
class TestDunningEscalation(DunningTestCommon):
    """Issue 13, items 4 and 5: levels climbed one after the other, and one run for all levels; through
    the wizard as a user fills it, with explicit as-of dates (the notices sent on their as-of date)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        (cls.level_early | cls.level_late | cls.level_big).active = False
        report = cls.env.ref("dunning_notices.action_report_dunning_notice")
        cls.level_1, cls.level_2, cls.level_3 = cls.env["dunning.level"].create(
            [
                {
                    "name": "Level 1",
                    "sequence": 1,
                    "min_days_overdue": 1,
                    "max_days_overdue": 15,
                    "escalation_mode": "sequential",
                    "report_id": report.id,
                    "mail_template_id": cls.env.ref("dunning_notices.mail_template_dunning_level_1").id,
                },
                {
                    "name": "Level 2",
                    "sequence": 2,
                    "min_days_overdue": 16,
                    "max_days_overdue": 30,
                    "escalation_mode": "sequential",
                    "min_days_since_previous": 7,
                    "report_id": report.id,
                    "mail_template_id": cls.env.ref("dunning_notices.mail_template_dunning_level_2").id,
                },
                {
                    "name": "Level 3",
                    "sequence": 3,
                    "min_days_overdue": 31,
                    "escalation_mode": "sequential",
                    "min_days_since_previous": 7,
                    "report_id": report.id,
                    "mail_template_id": cls.env.ref("dunning_notices.mail_template_dunning_level_4").id,
                },
            ]
        )

    def _run(self, as_of_date, level=None, partners=None):
        """Apply the filters of ``level`` (None: all levels) at ``as_of_date``."""
        form = Form(self.env["dunning.notice.send"])
        form.date_mode = "custom"
        form.as_of_date = as_of_date
        if level:
            form.level_id = level
        for partner in partners or [self.alpha]:
            form.partner_ids.add(partner)
        return self._apply(form)

    def _send_run(self, as_of_date, level=None, partners=None, email=False):
        """Run and send at ``as_of_date`` (that day): the notices made."""
        with freeze_time(as_of_date):
            wizard = self._run(as_of_date, level, partners)
            with Form(wizard) as wizard_form:
                for index in range(len(wizard_form.line_ids)):
                    with wizard_form.line_ids.edit(index) as line:
                        line.to_print = not email
                        line.to_email = email
            with self.mock_mail_gateway():
                wizard.action_send()
                self._run_queue()  # the letters of a run of several: the queue, that day
        return wizard.notice_ids

    # -------------------------------------------------------------------------

    def test_sequential_levels_one_after_the_other(self):
        self._invoice(self.alpha, date(2025, 12, 1), 1000, due=DUE)
        # 19 days overdue: level 1 first; by its range it would be level 2
        line = self._line(self._run(date(2026, 1, 20), self.level_1), self.alpha)
        self.assertFalse(line.excluded)
        self.assertEqual(line.amount_overdue, 1000)
        line = self._line(self._run(date(2026, 1, 20), self.level_2), self.alpha)
        self.assertEqual(line.exclusion_reason, "escalation_wait")
        self.assertIn("never reminded, starts at Level 1", line.exclusion_detail)
        notice = self._send_run(date(2026, 1, 20))
        self.assertEqual(notice.level_id, self.level_1, "all levels: never reminded, level 1")
        self.assertEqual(notice.date_sent, date(2026, 1, 20))
        # 3 days later: at level 1, level 2 from 01/27
        for level in (self.level_1, self.level_2, None):
            line = self._line(self._run(date(2026, 1, 23), level), self.alpha)
            self.assertTrue(line.excluded)
            self.assertEqual(line.exclusion_reason, "escalation_wait")
            self.assertIn("at Level 1, moves on to Level 2 from 01/27/2026", line.exclusion_detail)
        # 8 days after the first: level 2, and level 1 no more
        self.assertEqual(
            self._line(self._run(date(2026, 1, 28), self.level_1), self.alpha).exclusion_reason, "escalation_wait"
        )
        line = self._line(self._run(date(2026, 1, 28), self.level_2), self.alpha)
        self.assertFalse(line.excluded)
        self.assertEqual(line.level_id, self.level_2)
        notice = self._send_run(date(2026, 1, 28))
        self.assertEqual(notice.level_id, self.level_2)

    def test_bounced_level_one_is_sent_again(self):
        self._invoice(self.alpha, date(2025, 12, 1), 1000, due=DUE)
        notice = self._send_run(date(2026, 1, 20), self.level_1, email=True)
        self.assertEqual(notice.state, "done")
        notice.message_id.notification_ids.sudo().write({"notification_status": "bounce"})
        self.assertEqual(notice.delivery_state, "bounced")
        line = self._line(self._run(date(2026, 1, 28), self.level_2), self.alpha)
        self.assertEqual(line.exclusion_reason, "escalation_wait")
        self.assertIn("never reminded", line.exclusion_detail)
        self.assertFalse(self._line(self._run(date(2026, 1, 28), self.level_1), self.alpha).excluded)
        again = self._send_run(date(2026, 1, 28))
        self.assertEqual(again.level_id, self.level_1, "a bounced email does not move the item on")

    def test_all_levels_one_run_three_levels(self):
        carol = self.carol
        for partner, amount in ((self.alpha, 100), (self.beta, 200), (carol, 300)):
            self._invoice(partner, date(2025, 12, 1), amount, due=DUE)
        customers = [self.alpha, self.beta, carol]
        self.assertEqual(
            self._send_run(date(2026, 1, 5), self.level_1, [self.beta, carol]).partner_id, self.beta | carol
        )
        self.assertEqual(self._send_run(date(2026, 1, 20), self.level_2, [carol]).partner_id, carol)
        # a new invoice of Carol's: never reminded, it goes with the others on the highest level's notice
        self._invoice(carol, date(2026, 1, 25), 50, due=date(2026, 2, 1))
        wizard = self._run(date(2026, 2, 5), None, customers)
        self.assertFalse(wizard.level_id)
        self.assertEqual(
            {line.partner_id: line.level_id for line in wizard.line_ids},
            {self.alpha: self.level_1, self.beta: self.level_2, carol: self.level_3},
        )
        self.assertEqual(self._line(wizard, carol).amount_overdue, 350, "all its overdue items")
        self.assertEqual(self._line(wizard, carol).invoice_count, 2)
        notices = self._send_run(date(2026, 2, 5), None, customers)
        self.assertEqual(
            {notice.partner_id: notice.level_id for notice in notices},
            {self.alpha: self.level_1, self.beta: self.level_2, carol: self.level_3},
        )
        self.assertEqual(
            {notice.partner_id: notice.mail_template_id for notice in notices},
            {
                self.alpha: self.level_1.mail_template_id,
                self.beta: self.level_2.mail_template_id,
                carol: self.level_3.mail_template_id,
            },
            "each notice with its level's template",
        )
        self.assertEqual(len(notices.filtered(lambda n: n.partner_id == carol).line_ids), 2)

    def test_all_levels_by_range(self):
        """Levels by days range: the level whose range holds the customer's oldest item."""
        (self.level_1 | self.level_2 | self.level_3).active = False
        (self.level_early | self.level_late).active = True
        self._invoice(self.alpha, date(2026, 5, 1), 100, due=date(2026, 6, 20))
        self._invoice(self.beta, date(2026, 4, 1), 200, due=date(2026, 5, 1))
        self._invoice(self.beta, date(2026, 6, 1), 300, due=date(2026, 6, 20))
        wizard = self._run(date(2026, 6, 30), None, [self.alpha, self.beta])
        self.assertEqual(
            {line.partner_id: line.level_id for line in wizard.line_ids},
            {self.alpha: self.level_early, self.beta: self.level_late},
        )
        self.assertEqual(self._line(wizard, self.beta).amount_overdue, 500)

    def test_apply_filters_query_count_does_not_grow(self):
        """Apply Filters of a sequential level, and of all levels, runs as many queries for 3 customers
        as for 30, some of them already at level 1."""
        counts = [self._apply_filters_queries(3), self._apply_filters_queries(30)]
        self.assertEqual(counts[0], counts[1])

    def _apply_filters_queries(self, size):
        tag = self.env["res.partner.category"].create({"name": f"Bulk {size}"})
        partners = self.env["res.partner"].create(
            [
                {"name": f"Bulk {size} {i:03d}", "is_company": True, "category_id": [Command.set(tag.ids)]}
                for i in range(size)
            ]
        )
        for partner in partners:
            self._invoice(partner, date(2025, 12, 1), 100, due=DUE)
        with freeze_time(date(2026, 1, 5)):  # the first customer at level 1
            form = Form(self.env["dunning.notice.send"])
            form.date_mode = "custom"
            form.as_of_date = date(2026, 1, 5)
            form.level_id = self.level_1
            form.partner_ids.add(partners[0])
            wizard = self._apply(form)
            with self.mock_mail_gateway():
                wizard.action_send()
        counts = []
        for level in (self.level_1, self.level_2, None):
            form = Form(self.env["dunning.notice.send"])
            form.date_mode = "custom"
            form.as_of_date = date(2026, 1, 20)
            if level:
                form.level_id = level
            form.category_ids.add(tag)
            wizard = form.save()
            wizard.action_apply_filters()
            self.env.flush_all()
            self.env.invalidate_all()
            count0 = self.cr.sql_log_count
            wizard.action_apply_filters()
            self.env.flush_all()
            counts.append(self.cr.sql_log_count - count0)
            found = wizard.line_ids | wizard.excluded_line_ids
            self.assertEqual(len(found), size)
        return counts
