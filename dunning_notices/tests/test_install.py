from odoo.tests import Form, new_test_user, tagged

from odoo.addons.base.tests.common import BaseCommon


@tagged("post_install", "-at_install")
class TestInstall(BaseCommon):
    def test_menus_and_actions_load_for_an_accountant(self):
        accountant = new_test_user(
            self.env, login="install_accountant", groups="base.group_user,account.group_account_invoice"
        )
        menus = self.env["ir.ui.menu"].with_user(accountant).load_menus(debug=False)
        for xmlid in ("dunning_notices.dunning_notice_send_menu", "dunning_notices.dunning_notice_menu"):
            self.assertIn(self.env.ref(xmlid).id, menus, f"{xmlid} is not visible to an accountant")
        self.assertNotIn(self.env.ref("dunning_notices.dunning_level_menu").id, menus)
        for xmlid, model in (
            ("dunning_notices.dunning_notice_send_action", "dunning.notice.send"),
            ("dunning_notices.dunning_notice_action", "dunning.notice"),
        ):
            action = self.env["ir.actions.actions"].with_user(accountant)._for_xml_id(xmlid)
            self.assertEqual(action["res_model"], model)
            views = self.env[model].with_user(accountant).get_views([(False, "form"), (False, "list")])
            self.assertIn("form", views["views"])

    def test_menu_tree(self):
        """Issue 26: one Dunning section under Customers (send, runs, notices, letters to print) and one
        under Configuration, on a new database as on one updated from an earlier version."""

        def children(menus, xmlid):
            return [menus[child]["xmlid"] for child in menus[self.env.ref(xmlid).id]["children"]]

        accountant = new_test_user(
            self.env, login="menu_accountant", groups="base.group_user,account.group_account_invoice"
        )
        menus = self.env["ir.ui.menu"].with_user(accountant).load_menus(debug=False)
        self.assertIn("dunning_notices.dunning_customers_menu", children(menus, "account.menu_finance_receivables"))
        self.assertEqual(
            children(menus, "dunning_notices.dunning_customers_menu"),
            [
                "dunning_notices.dunning_notice_send_menu",
                "dunning_notices.dunning_run_menu",
                "dunning_notices.dunning_notice_menu",
                "dunning_notices.dunning_notice_to_print_menu",
                "dunning_notices.dunning_promise_menu",
            ],
        )
        self.assertNotIn(self.env.ref("dunning_notices.dunning_config_menu").id, menus)
        admin = new_test_user(self.env, login="menu_admin", groups="base.group_user,account.group_account_manager")
        menus = self.env["ir.ui.menu"].with_user(admin).load_menus(debug=False)
        self.assertIn("dunning_notices.dunning_config_menu", children(menus, "account.menu_finance_configuration"))
        self.assertEqual(
            children(menus, "dunning_notices.dunning_config_menu"),
            [
                "dunning_notices.dunning_level_menu",
                "dunning_notices.dunning_interest_scheme_menu",
                "dunning_notices.dunning_interest_rate_menu",
            ],
        )
        # nothing of the addon left where the tree before issue 26 put it
        xmlids = self.env["ir.model.data"].search([("module", "=", "dunning_notices"), ("model", "=", "ir.ui.menu")])
        addon_menus = self.env["ir.ui.menu"].browse(xmlids.mapped("res_id"))
        under_customers = addon_menus.filtered(
            lambda menu: menu.parent_id == self.env.ref("account.menu_finance_receivables")
        )
        self.assertEqual(under_customers, self.env.ref("dunning_notices.dunning_customers_menu"))
        self.assertFalse(
            addon_menus.filtered(lambda menu: menu.parent_id == self.env.ref("account.account_invoicing_menu"))
        )

    def test_admin_menus(self):
        admin = new_test_user(self.env, login="install_admin", groups="base.group_user,account.group_account_manager")
        menus = self.env["ir.ui.menu"].with_user(admin).load_menus(debug=False)
        self.assertIn(self.env.ref("dunning_notices.dunning_level_menu").id, menus)
        self.env["dunning.level"].with_user(admin).get_views([(False, "list"), (False, "form"), (False, "search")])
        settings_admin = new_test_user(
            self.env, login="install_settings", groups="base.group_system,account.group_account_manager"
        )
        arch = (
            self.env["res.config.settings"]
            .with_user(settings_admin)
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )
        self.assertIn("dunning_notices_settings", arch)
        self.assertIn('name="dunning_date_basis"', arch)


@tagged("post_install", "-at_install")
class TestDemoData(BaseCommon):
    """The demo data (installed by ./dev run and ./dev test) shows every case in the wizard at once."""

    def _apply_filters(self, level=None):
        """The wizard of ``level``, or of all levels (each customer at its own) in the main company."""
        form = Form(self.env["dunning.notice.send"].with_company(level.company_id if level else self.env.company))
        form.level_id = level or self.env["dunning.level"]
        wizard = form.save()
        wizard.action_apply_filters()
        return wizard

    def _listed(self, level=None):
        return {line.partner_id: line for line in self._apply_filters(level).line_ids}

    def test_demo_letters_of_the_past_are_printed(self):
        """The demo's history of reminders was printed and posted when sent: Letters to Print starts empty."""
        if not self.env.ref("dunning_notices.demo_partner_harbor", raise_if_not_found=False):
            self.skipTest("installed without demo data")
        self.assertTrue(self.env["dunning.notice"].search_count([("to_print", "=", True), ("state", "=", "done")]))
        self.assertFalse(self.env["dunning.notice"].search([("letter_to_print", "=", True)]))

    def test_demo_customers_cover_every_level(self):
        harbor = self.env.ref("dunning_notices.demo_partner_harbor", raise_if_not_found=False)
        if not harbor:
            self.skipTest("installed without demo data")
        demo_partners = self.env["res.partner"].search([("ref", "=like", "C10%")])
        by_level = {
            xmlid: self._listed(self.env.ref(f"dunning_notices.dunning_level_{xmlid}")) for xmlid in range(1, 5)
        }
        for number, lines in by_level.items():
            self.assertTrue(set(lines) & set(demo_partners), f"default level {number} lists no demo customer")
        first = by_level[1]
        self.assertEqual(first[harbor].recipient_ids, self.env.ref("dunning_notices.demo_partner_harbor_invoice"))
        orion = self.env.ref("dunning_notices.demo_partner_orion")
        self.assertIn("€", first[orion].amount_summary)
        acier = self.env.ref("dunning_notices.demo_partner_acier")
        # instalments: the 40-day old invoice is overdue on two levels, one instalment each
        self.assertEqual(len(first[acier].move_line_ids), 1)
        self.assertEqual(len(by_level[3][acier].move_line_ids), 1)
        quickmat = self.env.ref("dunning_notices.demo_partner_quickmat")
        quickmat_lines = [lines[quickmat] for lines in by_level.values() if quickmat in lines]
        self.assertEqual(len(quickmat_lines), 1, "listed at one level, without an address")
        self.assertFalse(quickmat_lines[0].recipient_ids)
        self.assertEqual(self.env.ref("dunning_notices.demo_partner_boulanger").lang, "fr_FR")

    def _level_of_never_reminded(self):
        """The level that takes the demo's never reminded customers (30 to 60 days overdue): the first
        level where the levels follow one another (a new database), else the level whose days range holds
        them (a database upgraded from before issue 26 keeps its levels by days range)."""
        first = self.env.ref("dunning_notices.dunning_level_1")
        if first.escalation_mode == "sequential":
            return first
        levels = self.env["dunning.level"].search([("company_id", "=", first.company_id.id)])
        return levels.filtered(
            lambda level: level.min_days_overdue <= 45 and (not level.max_days_overdue or level.max_days_overdue >= 45)
        )[:1]

    def test_demo_shows_credits_and_customers_left_out(self):
        """On the level of the customers never reminded, as of today: open credits netted, an opening
        balance listed, and a Left Out tab with a customer per reason the demo shows."""
        cedar = self.env.ref("dunning_notices.demo_partner_cedar", raise_if_not_found=False)
        if not cedar:
            self.skipTest("installed without demo data")
        level = self._level_of_never_reminded()
        self.assertTrue(level, "no level takes the demo customers overdue 30 to 60 days")
        wizard = self._apply_filters(level)
        listed = {line.partner_id: line for line in wizard.line_ids}
        left_out = {line.partner_id: line for line in wizard.excluded_line_ids}
        self.assertTrue(left_out, "the Left Out tab is empty on the demo data")
        self.assertEqual(wizard.excluded_count, len(left_out))
        reasons = {line.exclusion_reason for line in left_out.values()}
        self.assertLessEqual({"credits_cover", "all_blocked", "archived"}, reasons)
        self.assertTrue(
            any(line.amount_credit > 0 and line.amount_net < line.amount_overdue for line in listed.values()),
            "no listed demo customer has its overdue amount reduced by open credits",
        )

        def ref(name):
            return self.env.ref(f"dunning_notices.{name}")

        # overdue 1,800 + 950, a credit note of 600 not matched yet
        self.assertRecordValues(
            listed[cedar], [{"amount_overdue": 2750.0, "amount_credit": 600.0, "amount_net": 2150.0}]
        )
        self.assertEqual(
            listed[cedar].credit_move_line_ids_data,
            ref("demo_refund_cedar_1").line_ids.filtered(lambda line: line.account_type == "asset_receivable").ids,
        )
        # the opening balance entry is listed with its entry number
        opening = ref("demo_entry_opening_willow")
        self.assertEqual(opening.journal_id.type, "general")
        willow = listed[ref("demo_partner_willow")]
        self.assertEqual(willow.move_line_ids.move_id, opening)
        self.assertIn(opening.name, willow.invoice_names)
        self.assertEqual(willow.amount_net, 1340.0)
        # an unmatched payment of 500 covers an overdue 420
        pine = ref("demo_partner_pine")
        self.assertEqual(ref("demo_payment_pine").state, "in_process")
        self.assertRecordValues(
            left_out[pine],
            [{"exclusion_reason": "credits_cover", "amount_overdue": 420.0, "amount_credit": 500.0, "to_email": False}],
        )
        self.assertEqual(ref("demo_invoice_birch_1").payment_state, "blocked")
        self.assertEqual(left_out[ref("demo_partner_birch")].exclusion_reason, "all_blocked")
        elm = ref("demo_partner_elm")
        self.assertFalse(elm.active)
        self.assertEqual(left_out[elm].exclusion_reason, "archived")
        self.assertTrue(left_out[elm].exclusion_detail)
