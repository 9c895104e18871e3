import os

from odoo import release
from odoo.tests import tagged
from odoo.tools import SQL

from odoo.addons.base.tests.common import BaseCommon

from ..compat import groups_field

# the constraints of the addon, as the database names them on every series
CONSTRAINTS = (
    "dunning_level_days_positive",
    "dunning_level_amounts_positive",
    "dunning_interest_rate_code_date_uniq",
    "dunning_notice_charge_move_uniq",
    "res_company_dunning_min_interval_days_positive",
)


@tagged("post_install", "-at_install")
class TestSchema(BaseCommon):
    """What a fresh install and an upgrade both leave, on every series."""

    def test_sql_constraints(self):
        """Declared once (compat.Constraint), the constraints are in the database with their messages."""
        rows = self.env.execute_query(
            SQL("SELECT conname FROM pg_constraint WHERE conname = ANY(%s)", list(CONSTRAINTS))
        )
        self.assertEqual({name for [name] in rows}, set(CONSTRAINTS))
        constraint = self.env.ref("dunning_notices.constraint_dunning_level_days_positive")
        self.assertEqual(constraint.message, "The days overdue of a dunning level cannot be negative.")

    def test_action_menu_entry_for_billing_users(self):
        action = self.env.ref("dunning_notices.res_partner_action_dunning_notice_send")
        self.assertIn(self.env.ref("account.group_account_invoice"), action[groups_field(action)])

    def test_version_completed_with_the_series(self):
        """The manifest's series-less x.y.z is installed as <series>.x.y.z."""
        module = self.env["ir.module.module"].search([("name", "=", "dunning_notices")])
        before, _sep, version = module.latest_version.partition(f"{release.major_version}.")
        self.assertFalse(before)
        self.assertRegex(version, r"^\d+\.\d+\.\d+$")


@tagged("post_install", "-at_install")
class TestUpgrade(BaseCommon):
    """A database installed at 18.0.1.2.0 and upgraded (``./dev test-upgrade``, Odoo 18.0 only)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not os.environ.get("DUNNING_UPGRADED_FROM"):
            cls.skipTest(cls, "not an upgraded database (./dev test-upgrade)")

    def test_upgraded_database(self):
        self.assertEqual(os.environ["DUNNING_UPGRADED_FROM"], "18.0.1.2.0")
        # the demo of 18.0.1.2.0 is kept, its notices and levels too
        self.assertTrue(self.env.ref("dunning_notices.demo_partner_harbor", raise_if_not_found=False))
        self.assertGreaterEqual(self.env["dunning.level"].search_count([("company_id", "=", self.env.company.id)]), 4)
        # the 18.0.1.x migrations are not run again: their templates keep the items template once
        body = str(self.env.ref("dunning_notices.mail_template_dunning_level_1").body_html)
        self.assertEqual(body.count("dunning_notices.dunning_notice_email_items"), 1)

    def test_upgrade_keeps_companies_and_levels_as_they_were(self):
        """Issue 26's safe defaults are for new companies and databases: an upgraded company keeps its minimum
        interval and its shipped levels their days ranges (the README says how to switch); the notice report
        gets the letter's paper format (migration 1.4.0)."""
        self.assertEqual(self.env.ref("base.main_company").dunning_min_interval_days, 0)
        levels = self.env["dunning.level"].search([("company_id", "=", self.env.ref("base.main_company").id)])
        self.assertEqual(set(levels.mapped("escalation_mode")), {"range"})
        self.assertEqual(self.env.ref("dunning_notices.dunning_level_3").max_days_overdue, 60)
        # the letters printed before the upgrade are not on Letters to Print
        self.assertFalse(
            self.env["dunning.notice"].search([("letter_to_print", "=", True), ("print_fallback", "=", "none")])
        )
        self.assertIn(
            self.env.ref("dunning_notices.action_report_dunning_notice").paperformat_id,
            self.env.ref("dunning_notices.paperformat_dunning_notice")
            | self.env.ref("dunning_notices.paperformat_dunning_notice_letter"),
        )
