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

    def _listed(self, level):
        form = Form(self.env["dunning.notice.send"].with_company(level.company_id))
        form.level_id = level
        wizard = form.save()
        wizard.action_apply_filters()
        return {line.partner_id: line for line in wizard.line_ids}

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
        self.assertFalse(by_level[3][quickmat].recipient_ids)
        self.assertEqual(self.env.ref("dunning_notices.demo_partner_boulanger").lang, "fr_FR")
