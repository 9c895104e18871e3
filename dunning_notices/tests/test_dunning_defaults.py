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

    def test_all_levels_run_says_so_and_lists_each_notice_level(self):
        """A run of all levels (each customer at its own level) reads "All levels", and its notices list
        shows their level, hidden only when the run has one level."""
        self.level_big.active = False  # the highest level its days reach would take both, then leave them out
        self._invoice(self.alpha, AS_OF - timedelta(days=20), 300, due=AS_OF - timedelta(days=10))
        self._invoice(self.beta, AS_OF - timedelta(days=80), 700, due=AS_OF - timedelta(days=50))
        wizard = self._apply(self._wizard_form(user=self.accountant, level_id=self.env["dunning.level"]))
        levels = {line.partner_id: line.level_id for line in wizard.line_ids}
        self.assertNotEqual(levels[self.alpha], levels[self.beta], "two customers at two levels")
        wizard.line_ids.write({"to_print": False, "to_email": True})
        with self.mock_mail_gateway():
            wizard.action_send()
        run = wizard.notice_ids.run_id
        self.assertFalse(run.level_id)
        self.assertEqual(run.level_display, "All levels")
        self.assertEqual(
            {notice.partner_id: notice.level_id for notice in run.notice_ids if notice.partner_id in levels},
            {partner: level for partner, level in levels.items() if partner in (self.alpha, self.beta)},
        )
        arch = run.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="level_id" column_invisible="parent.level_id"', arch)
        self.assertIn('name="level_display" invisible="level_id"', arch)

    def test_letter_paper_format_set_once_in_the_company_page_size(self):
        """The notice report gets the letter's own paper format in the main company's page size (A4 or US
        Letter), once: an administrator's later choice on the report is kept by the hook and upgrades."""
        from ..hooks import set_notice_paperformat

        report = self.env.ref("dunning_notices.action_report_dunning_notice")
        self.assertIn(
            report.paperformat_id,
            self.env.ref("dunning_notices.paperformat_dunning_notice")
            | self.env.ref("dunning_notices.paperformat_dunning_notice_letter"),
        )
        main = self.env.ref("base.main_company")
        for company_format, expected in (
            ("base.paperformat_us", "dunning_notices.paperformat_dunning_notice_letter"),
            ("base.paperformat_euro", "dunning_notices.paperformat_dunning_notice"),
        ):
            main.paperformat_id = self.env.ref(company_format)
            report.paperformat_id = False
            set_notice_paperformat(self.env)
            self.assertEqual(report.paperformat_id, self.env.ref(expected))
            self.assertEqual(main.paperformat_id, self.env.ref(company_format), "the company's format unchanged")
        chosen = self.env.ref("base.paperformat_us")
        report.paperformat_id = chosen
        set_notice_paperformat(self.env)
        self.assertEqual(report.paperformat_id, chosen, "the administrator's choice is kept")
        self.assertEqual(self.env.ref("dunning_notices.paperformat_dunning_notice").margin_top, 60)
