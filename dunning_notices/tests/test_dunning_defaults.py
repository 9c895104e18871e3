from datetime import timedelta

from odoo.tests import tagged

from .common import AS_OF, DunningTestCommon


@tagged("post_install", "-at_install")
class TestDunningSafeDefaults(DunningTestCommon):
    """Issue 26, safe defaults: a new company reminds a customer at most once a week, and its shipped
    levels are reached one after the other, so that a first letter never speaks of an earlier one."""

    def test_new_company_has_a_week_between_notices_and_levels_one_after_the_other(self):
        other = self.setup_other_company(name="Company New")["company"]
        self.assertEqual(other.dunning_min_interval_days, 7)
        levels = self.env["dunning.level"].search([("company_id", "=", other.id)])
        self.assertEqual(levels.mapped("name"), ["First Reminder", "Second Reminder", "Formal Notice", "Final Notice"])
        self.assertEqual(set(levels.mapped("escalation_mode")), {"sequential"})
        self.assertEqual(levels.mapped("min_days_since_previous"), [0, 14, 14, 14])

    def test_first_letter_is_the_first_level_whatever_the_days_overdue(self):
        """A customer 45 days overdue and never reminded gets the First Reminder, not the Formal Notice
        its days would choose by range; the Formal Notice leaves it waiting."""
        self.env["dunning.level"].search([("company_id", "=", self.company.id)]).active = False
        shipped = (
            self.env["dunning.level"]
            .with_context(active_test=False)
            .search([("company_id", "=", self.company.id), ("name", "in", ("First Reminder", "Formal Notice"))])
        )
        shipped.active = True
        first, formal = shipped.sorted()
        self.company.dunning_min_interval_days = 7
        self._invoice(self.alpha, AS_OF - timedelta(days=75), 900, due=AS_OF - timedelta(days=45))
        wizard = self._apply(self._wizard_form(level_id=self.env["dunning.level"]))
        line = wizard.line_ids.filtered(lambda line: line.partner_id == self.alpha)
        self.assertEqual((line.level_id, line.amount_overdue), (first, 900))
        wizard = self._apply(self._wizard_form(level_id=formal))
        left_out = wizard.excluded_line_ids.filtered(lambda line: line.partner_id == self.alpha)
        self.assertEqual(left_out.exclusion_reason, "escalation_wait")
        self.assertIn("never reminded, starts at First Reminder", left_out.exclusion_detail)
