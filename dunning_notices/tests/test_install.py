from odoo.tests import new_test_user, tagged

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
