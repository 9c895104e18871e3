from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged

from .common import DunningTestCommon


@tagged("post_install", "-at_install")
class TestDunningLevel(DunningTestCommon):
    def test_create_level_through_form(self):
        with Form(self.env["dunning.level"]) as form:
            form.name = "Third call"
            form.min_days_overdue = 10
            form.max_days_overdue = 20
            form.min_amount_overdue = 100
            form.mail_template_id = self.env.ref("dunning_notices.mail_template_dunning_level_3")
        level = form.record
        self.assertEqual(level.company_id, self.env.company)
        self.assertEqual(level.report_id, self.env.ref("dunning_notices.action_report_dunning_notice"))
        self.assertEqual((level.min_days_overdue, level.max_days_overdue), (10, 20))

    def test_constraints(self):
        level = self.level_early
        with self.assertRaisesRegex(ValidationError, "days overdue range is inverted"):
            level.write({"min_days_overdue": 40, "max_days_overdue": 30})
        with self.assertRaisesRegex(ValidationError, "amount overdue range is inverted"):
            level.write(
                {"min_days_overdue": 1, "max_days_overdue": 30, "min_amount_overdue": 500, "max_amount_overdue": 100}
            )
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            level.write({"min_days_overdue": -1, "min_amount_overdue": 0, "max_amount_overdue": 0})
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            level.write({"min_days_overdue": 1, "min_amount_overdue": -5})
        with self.assertRaisesRegex(ValidationError, "not a dunning notice report"):
            level.report_id = self.env.ref("account.account_invoices")
        with self.assertRaisesRegex(ValidationError, "not a dunning notice template"):
            level.write(
                {
                    "report_id": self.env.ref("dunning_notices.action_report_dunning_notice").id,
                    "mail_template_id": self.env.ref("account.email_template_edi_invoice").id,
                }
            )
        # an open upper bound is fine whatever the lower one
        level.write({"min_days_overdue": 90, "max_days_overdue": 0, "min_amount_overdue": 10, "max_amount_overdue": 0})

    def test_accountant_reads_but_cannot_write(self):
        level = self.level_early.with_user(self.accountant)
        self.assertEqual(level.name, "Early")
        with self.assertRaises(AccessError):
            level.name = "Changed"
        with self.assertRaises(AccessError):
            self.env["dunning.level"].with_user(self.accountant).create({"name": "New"})

    def test_other_company_level_is_invisible(self):
        other = self.setup_other_company(name="Company B")["company"]
        self.accountant.company_ids |= other
        other_levels = self.env["dunning.level"].search([("company_id", "=", other.id)])
        self.assertTrue(other_levels, "a new company gets the default levels")
        visible = self.env["dunning.level"].with_user(self.accountant).with_company(self.company).search([])
        self.assertFalse(visible & other_levels)
        self.assertTrue(visible & self.level_early)

    def test_default_data(self):
        defaults = [self.env.ref(f"dunning_notices.dunning_level_{i}").sudo() for i in range(1, 5)]
        self.assertEqual(
            [(lvl.min_days_overdue, lvl.max_days_overdue) for lvl in defaults], [(1, 15), (16, 30), (31, 60), (61, 0)]
        )
        # the test company, created after the install, got its own copies
        copies = (
            self.env["dunning.level"]
            .with_context(active_test=False)
            .search(
                [
                    ("company_id", "=", self.company.id),
                    ("id", "not in", (self.level_early | self.level_late | self.level_big).ids),
                ]
            )
        )
        self.assertEqual(copies.mapped("name"), [lvl.name for lvl in defaults])
        self.assertEqual(copies.mail_template_id.ids, [lvl.mail_template_id.id for lvl in defaults])
        for level in defaults:
            self.assertEqual(level.report_id.model, "dunning.notice")
            self.assertEqual(level.mail_template_id.model, "dunning.notice")
            self.assertTrue(level.note)
        # each level speaks with its own tone
        self.assertEqual(len({lvl.mail_template_id for lvl in defaults}), 4)
        self.assertEqual(len({lvl.note for lvl in defaults}), 4)

    def test_default_levels_copied_with_translations(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        original = self.env.ref("dunning_notices.dunning_level_1").sudo()
        original.with_context(lang="fr_FR").name = "Premier rappel"
        company = self.env["res.company"].create({"name": "Fresh Co"})
        copies = self.env["dunning.level"].search([("company_id", "=", company.id)])
        self.assertEqual(len(copies), 4)
        first = copies.sorted()[0]
        self.assertEqual(first.with_context(lang="fr_FR").name, "Premier rappel")
        self.assertEqual(first.with_context(lang="en_US").name, original.with_context(lang="en_US").name)
