from datetime import date, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.tests import Form, new_test_user, tagged

from .common import AS_OF, DunningTestCommon


@tagged("post_install", "-at_install")
class TestDunningScreens(DunningTestCommon):
    """Issue 26: what step 2, the level form and the effectiveness analysis show (the tours of test_ui
    check that they read whole at 1440 px)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alpha_inv = cls._invoice(cls.alpha, date(2026, 6, 10), 500, due=date(2026, 6, 20))
        cls.beta_inv = cls._invoice(cls.beta, date(2026, 6, 1), 200, due=date(2026, 6, 15))
        cls.beta_inv_2 = cls._invoice(cls.beta, date(2026, 6, 2), 300, due=date(2026, 6, 16))

    def _columns(self, as_of_date=AS_OF):
        """Step 2's flags of the columns some customer fills, as the web client reads them."""
        wizard = self._apply(self._wizard_form(as_of_date=as_of_date))
        [values] = wizard.web_read({"has_disputed": {}, "has_last_notice": {}})
        return values["has_disputed"], values["has_last_notice"]

    def test_step2_shows_the_columns_some_customer_fills(self):
        self.assertEqual(self._columns(), (False, False), "nobody disputes nor was reminded: both hidden")
        self.beta_inv_2._dunning_set_dispute("Wrong quantity")
        self.assertEqual(self._columns(), (True, False))
        self._send_to(self.alpha, self.level_early)
        self._run_queue()  # the printed letter, rendered in the background
        self.assertEqual(self._columns(AS_OF + timedelta(days=10)), (True, True))
        # a wizard being edited (onchange) reads its lines in memory
        draft = self.env["dunning.notice.send"].new(
            {"line_ids": [Command.create({"partner_id": self.carol.id, "disputed_count": 2})]}
        )
        self.assertTrue(draft.has_disputed)
        self.assertFalse(draft.has_last_notice)

    def test_step2_level_column_shows_the_level_name(self):
        # the lists ask for the name alone; the wizard's dropdown keeps the range that tells levels apart
        self.assertEqual(self.level_early.with_context(dunning_level_hide_range=True).display_name, "Early")
        self.assertEqual(self.level_early.display_name, "Early (1-30 days)")
        self.level_big.active = False  # its minimum would leave both customers out
        wizard = self._apply(self._wizard_form(level_id=self.env["dunning.level"]))
        [values] = wizard.web_read(
            {
                "line_ids": {
                    "fields": {
                        "level_id": {"fields": {"display_name": {}}, "context": {"dunning_level_hide_range": True}}
                    }
                }
            }
        )
        self.assertEqual({line["level_id"]["display_name"] for line in values["line_ids"]}, {"Early"})

    def test_attach_invoices_has_a_tooltip(self):
        description = self.env["dunning.notice.send"].fields_get(["attach_invoices"], ["help"])
        self.assertIn("each overdue invoice", description["attach_invoices"]["help"])

    def test_automatic_mode_proposes_what_it_needs(self):
        """Choosing an automatic mode fills its interval, next date and sender before Save; what was
        set is kept; the view requires them."""
        self.company.dunning_sender_user_id = self.accountant
        with freeze_time(AS_OF):
            form = Form(self.level_early)
            form.auto_mode = "review"
            self.assertEqual((form.auto_interval_number, form.auto_interval_type), (1, "weeks"))
            self.assertEqual(form.auto_next_date, AS_OF + timedelta(days=1), "tomorrow: nothing leaves today")
            self.assertEqual(form.auto_sender_user_id, self.accountant)
            form.save()
        self.assertEqual(self.level_early.auto_mode, "review")
        form = Form(self.level_late)
        form.auto_mode = "review"
        form.auto_next_date = date(2026, 8, 3)
        form.auto_mode = "send"
        self.assertEqual(form.auto_next_date, date(2026, 8, 3))
        for field_name, empty in (
            ("auto_interval_type", False),
            ("auto_next_date", False),
            ("auto_sender_user_id", self.env["res.users"]),
        ):
            value = getattr(form, field_name)
            setattr(form, field_name, empty)
            with self.assertRaisesRegex(AssertionError, f"{field_name} is a required field"):
                form.save()
            setattr(form, field_name, value)
        form.save()
        # neither the company's default sender nor the user may send: none proposed
        self.company.dunning_sender_user_id = False
        employee = new_test_user(self.env, login="dunning_employee", groups="base.group_user")
        self.assertFalse(self.level_big.with_user(employee).sudo()._get_default_auto_sender())
        self.assertEqual(self.level_big.with_user(self.accountant).sudo()._get_default_auto_sender(), self.accountant)

    def test_interval_reads_every_1_week(self):
        units = dict(self.env["dunning.level"]._fields["auto_interval_type"]._description_selection(self.env))
        self.assertEqual(units, {"days": "day(s)", "weeks": "week(s)", "months": "month(s)"})

    def test_effectiveness_opens_on_the_notices_whose_30_days_are_over(self):
        action = self.env["ir.actions.actions"]._for_xml_id("dunning_notices.dunning_effectiveness_report_action")
        self.assertIn("'search_default_window_30d_elapsed': 1", action["context"])
        self.assertIn("'search_default_last_12_months': 1", action["context"])
        # the two filters are in separate groups of the search view: and-ed, not or-ed
        arch = self.env["dunning.effectiveness.report"].get_view(action["search_view_id"][0], "search")["arch"]
        between = arch[arch.index('name="last_12_months"') : arch.index('name="window_30d_elapsed"')]
        self.assertIn("<separator", between)
