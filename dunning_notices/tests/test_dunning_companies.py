import importlib.util
from datetime import date

import psycopg2

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import SQL
from odoo.tools.misc import file_path

from .common import AS_OF, DunningTestCommon


def _migration(step):
    """The module of the 18.0.1.3.0 migration script ``step`` (``pre`` or ``post``)."""
    spec = importlib.util.spec_from_file_location(
        f"{step}_migrate", file_path(f"dunning_notices/migrations/18.0.1.3.0/{step}-migrate.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class DunningCompaniesCommon(DunningTestCommon):
    """Two companies sharing the customer Alpha, each with a level of every overdue item, an overdue
    invoice of Alpha and its own users."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other = cls.setup_other_company(name="Company B")["company"]
        cls.level_all = cls._create_level_all()
        cls.level_b = cls.level_all.copy({"company_id": cls.other.id, "name": "All overdue B"})
        cls._invoice(cls.alpha, date(2026, 5, 1), 500, due=date(2026, 5, 31))
        invoice_b = (
            cls.env["account.move"]
            .with_company(cls.other)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": cls.alpha.id,
                    "invoice_date": date(2026, 5, 1),
                    "invoice_date_due": date(2026, 5, 31),
                    "invoice_line_ids": [
                        Command.create({"name": "Service B", "quantity": 1, "price_unit": 700, "tax_ids": []})
                    ],
                }
            )
        )
        invoice_b.action_post()

        def user(login, groups, company=cls.company):
            return new_test_user(
                cls.env, login=login, groups=groups, company_id=company.id, company_ids=[Command.set(company.ids)]
            )

        cls.users = {
            "internal": user("co_internal", "base.group_user"),
            "billing": cls.accountant,
            "accountant": user("co_accountant", "base.group_user,account.group_account_user"),
            "manager": user("co_manager", "base.group_user,account.group_account_manager"),
            "auditor": user("co_auditor", "base.group_user,account.group_account_readonly"),
            "settings": user("co_settings", "base.group_user,base.group_system"),
            "portal": user("co_portal", "base.group_portal"),
            "public": cls.env.ref("base.public_user"),
            "other_billing": user("co_other_billing", "base.group_user,account.group_account_invoice", cls.other),
            "other_company": user("co_other_manager", "base.group_user,account.group_account_manager", cls.other),
        }

    def _as(self, name, company=None):
        """The env of the user ``name`` working in ``company`` (default: the user's own)."""
        user = self.users[name]
        company = company or user.sudo().company_id
        return self.env(user=user, context=dict(self.env.context, allowed_company_ids=company.ids))

    def _run_line(self, user_name, level, partner=None):
        """The line of ``partner`` (Alpha) after Apply Filters of ``level`` as ``user_name`` in the user's company."""
        env = self._as(user_name)
        form = Form(env["dunning.notice.send"])
        form.date_mode = "custom"
        form.as_of_date = AS_OF
        form.level_id = level.with_env(env)
        form.partner_ids.add((partner or self.alpha).with_env(env))
        wizard = form.save()
        wizard.action_apply_filters()
        return self._line(wizard, partner or self.alpha)

    def _can(self, env, records, operation):
        try:
            records.with_env(env).check_access(operation)
        except AccessError:
            return False
        return True

    def _rights(self, env, records):
        return "".join(
            letter if self._can(env, records, operation) else "-"
            for letter, operation in zip("rwcu", ("read", "write", "create", "unlink"), strict=True)
        )


@tagged("post_install", "-at_install")
class TestDunningHoldPerCompany(DunningCompaniesCommon):
    """Issue 23, case 6: a dunning hold is the company's (company_dependent), not the shared customer's."""

    def _hold(self, user_name, reason, until=False):
        """Put Alpha on hold from its form (Invoicing tab), as ``user_name`` in the user's company."""
        alpha = self.alpha.with_env(self._as(user_name)).with_context(tracking_disable=False, mail_notrack=False)
        with Form(alpha) as partner_form:
            partner_form.dunning_hold = True
            partner_form.dunning_hold_reason = reason
            partner_form.dunning_hold_until = until

    def test_other_company_hold_leaves_the_customer_in_this_company_run(self):
        self._hold("other_billing", "Company B dispute")
        self.assertTrue(self.alpha.with_company(self.other).dunning_hold)
        self.assertFalse(self.alpha.with_company(self.company).dunning_hold)
        self.assertFalse(self.alpha.with_company(self.company).dunning_hold_reason)
        # company 1's run lists Alpha, and says nothing of company 2's reason
        line = self._run_line("billing", self.level_all)
        self.assertFalse(line.excluded)
        self.assertEqual(line.amount_net, 500)
        self.assertFalse(self.level_all._get_customer_reasons(AS_OF, self.alpha))
        # company 2's run leaves it out, with company 2's reason
        line = self._run_line("other_billing", self.level_b)
        self.assertTrue(line.excluded)
        self.assertEqual(line.exclusion_reason, "on_hold")
        self.assertIn("Company B dispute", line.exclusion_detail)

    def test_own_hold_leaves_the_customer_out_of_own_run_only(self):
        self._hold("billing", "Court case", date(2026, 7, 5))
        line = self._run_line("billing", self.level_all)
        self.assertEqual(line.exclusion_reason, "on_hold")
        self.assertIn("Court case", line.exclusion_detail)
        self.assertIn("07/05/2026", line.exclusion_detail)
        line = self._run_line("other_billing", self.level_b)
        self.assertFalse(line.excluded)
        self.assertEqual(line.amount_net, 700)
        # lifted in company 1: listed again; a hold of both companies is lifted in one only
        self._hold("other_billing", "Company B dispute")
        self.alpha.with_env(self._as("billing")).write({"dunning_hold": False})
        self.assertFalse(self._run_line("billing", self.level_all).excluded)
        self.assertTrue(self._run_line("other_billing", self.level_b).excluded)

    def test_chatter_traces_the_hold_with_its_company_not_its_reason(self):
        """The customer's chatter is read by every company sharing it: the trace names the company that
        holds and the dates, the reason stays with that company."""
        self._hold("other_billing", "Confidential settlement", date(2026, 7, 5))
        message = self.alpha.message_ids[0]
        self.assertIn("Dunning hold in Company B", message.body)
        self.assertEqual(message.author_id, self.users["other_billing"].partner_id)
        self.assertEqual(
            set(message.tracking_value_ids.field_id.mapped("name")), {"dunning_hold", "dunning_hold_until"}
        )
        self.assertEqual(
            message.tracking_value_ids.filtered(lambda t: t.field_id.name == "dunning_hold").new_value_integer, 1
        )
        for message in self.alpha.message_ids:
            self.assertNotIn("Confidential settlement", str(message.body))
            self.assertNotIn("Confidential settlement", message.tracking_value_ids.mapped("new_value_char"))
        # changing the reason only logs nothing; lifting it logs the change, in company 1 this time
        count = len(self.alpha.message_ids)
        tracked = {"tracking_disable": False, "mail_notrack": False}
        self.alpha.with_env(self._as("other_billing")).with_context(**tracked).dunning_hold_reason = "Other"
        self.assertEqual(len(self.alpha.message_ids), count)
        self._hold("billing", "Court case")
        self.assertIn("Dunning hold in " + self.company.name, self.alpha.message_ids[0].body)

    def test_access_to_the_hold_per_user_and_company(self):
        """Who reads and sets the hold, in which company: the billing users and up of the company; the
        auditor reads; an internal user, a portal user, and anyone in a company not theirs, neither."""
        self.alpha.with_company(self.company).dunning_hold_reason = "Reason of company 1"
        others = ("other_billing", "other_company")
        for name in self.users:
            with self.subTest(user=name, access="read"):
                alpha = self.alpha.with_env(self._as(name))
                if name in ("billing", "accountant", "manager", "auditor"):
                    self.assertEqual(alpha.dunning_hold_reason, "Reason of company 1")
                elif name in others:
                    self.assertFalse(alpha.dunning_hold_reason, "their own company's reason: none")
                else:
                    with self.assertRaises(AccessError):
                        alpha.read(["dunning_hold_reason"])
        for name in self.users:
            with self.subTest(user=name, access="write"):
                env = self._as(name)
                alpha = self.alpha.with_env(env)
                if name in ("billing", "accountant", "manager", *others):
                    alpha.write({"dunning_hold": True, "dunning_hold_reason": f"Held by {name}"})
                    self.assertEqual(alpha.dunning_hold_reason, f"Held by {name}")
                else:
                    with self.assertRaises(AccessError):
                        alpha.write({"dunning_hold": True})
                # nobody writes the hold of a company they do not belong to
                foreign = self.other if env.user.sudo().company_id == self.company else self.company
                with self.assertRaises(AccessError):
                    self.alpha.with_env(self._as(name, foreign)).write({"dunning_hold": False})
        self.assertEqual(self.alpha.with_company(self.company).dunning_hold_reason, "Held by manager")
        self.assertEqual(self.alpha.with_company(self.other).dunning_hold_reason, "Held by other_company")

    def test_migration_gives_each_hold_to_every_company(self):
        """18.0.1.3.0: the plain columns of a database installed before become company_dependent with the
        hold in every company (Odoo's own cast would stop the upgrade: no cast from boolean to jsonb)."""
        beta, carol = self.beta, self.carol
        third = self.env["res.company"].create({"name": "Company C"})
        self.env.flush_all()
        # back to the columns as 18.0.1.2.0 had them (in this test's transaction), with its values
        self.env.cr.execute(
            SQL(
                """
                ALTER TABLE res_partner ALTER COLUMN dunning_hold TYPE bool USING NULL,
                    ALTER COLUMN dunning_hold_reason TYPE varchar USING NULL,
                    ALTER COLUMN dunning_hold_until TYPE date USING NULL;
                UPDATE res_partner SET dunning_hold = true, dunning_hold_reason = 'Court case',
                       dunning_hold_until = '2026-07-05' WHERE id = %(alpha)s;
                UPDATE res_partner SET dunning_hold = true WHERE id = %(beta)s;
                UPDATE res_partner SET dunning_hold = false, dunning_hold_reason = 'Lifted' WHERE id = %(carol)s;
                """,
                alpha=self.alpha.id,
                beta=beta.id,
                carol=carol.id,
            )
        )
        with self.assertRaises(psycopg2.Error, msg="what Odoo's schema update would do"), self.env.cr.savepoint():
            self.env.cr.execute(
                "ALTER TABLE res_partner ALTER COLUMN dunning_hold TYPE jsonb USING dunning_hold::jsonb",
                log_exceptions=False,
            )
        _migration("pre").holds_to_company_dependent(self.env.cr)
        self.env.invalidate_all()
        for company in self.company | self.other | third:
            with self.subTest(company=company.name):
                alpha = self.alpha.with_company(company)
                self.assertEqual(
                    (alpha.dunning_hold, alpha.dunning_hold_reason, alpha.dunning_hold_until),
                    (True, "Court case", date(2026, 7, 5)),
                )
                self.assertEqual(
                    (beta.with_company(company).dunning_hold, beta.with_company(company).dunning_hold_reason),
                    (True, False),
                )
                self.assertFalse(carol.with_company(company).dunning_hold)
                held = self.env["res.partner"].with_company(company).search([("dunning_hold", "=", True)])
                self.assertEqual(held & (self.alpha | beta | carol), self.alpha | beta)
        self.assertEqual(
            set(self.level_all._get_customer_reasons(date(2026, 7, 5), self.alpha | beta)), {self.alpha, beta}
        )
        self.assertEqual(set(self.level_b._get_customer_reasons(date(2026, 7, 6), self.alpha | beta)), {beta})
        # then each company changes its own
        self.alpha.with_company(self.other).dunning_hold = False
        self.assertTrue(self.alpha.with_company(self.company).dunning_hold)
        # twice changes nothing
        _migration("pre").holds_to_company_dependent(self.env.cr)
        self.env.invalidate_all()
        self.assertTrue(self.alpha.with_company(third).dunning_hold)
        self.assertFalse(self.alpha.with_company(self.other).dunning_hold)


@tagged("post_install", "-at_install")
class TestDunningInterestPerCompany(DunningCompaniesCommon):
    """Issue 23, case 6: each company has its interest schemes (the margin printed on its letters); the
    reference rates are public and shared, written by the settings group only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        schemes = cls.env["dunning.interest.scheme"]
        cls.fr = schemes._get_preset("interest_scheme_fr_l441_10", cls.company)
        cls.fr_b = schemes._get_preset("interest_scheme_fr_l441_10", cls.other)
        cls.level_all.interest_scheme_id = cls.fr
        cls.rate = cls.env.ref("dunning_notices.interest_rate_ecb_mro_20250611")

    def test_each_company_has_its_own_presets(self):
        main = self.env.ref("base.main_company")
        for name in ("interest_scheme_eu_2011_7", "interest_scheme_fr_l441_10"):
            shipped = self.env.ref(f"dunning_notices.{name}").sudo()
            self.assertEqual(shipped.company_id, main)
            for company in self.company | self.other:
                with self.subTest(company=company.name, preset=name):
                    copy = self.env.ref(f"dunning_notices.{company.id}_{name}")
                    self.assertEqual(copy.company_id, company)
                    self.assertEqual((copy.base_code, copy.margin), (shipped.base_code, shipped.margin))
                    self.assertEqual(self.env["dunning.interest.scheme"]._get_preset(name, company), copy)
        # a margin is the company's own
        self.fr_b.with_env(self._as("other_company")).margin = 12
        self.assertEqual(self.fr.margin, 10)
        # a new company gets its copies, and the copies of the main company's levels charge them
        self.env.ref("dunning_notices.dunning_level_1").sudo().interest_scheme_id = self.env.ref(
            "dunning_notices.interest_scheme_fr_l441_10"
        )
        new = self.env["res.company"].create({"name": "Company N"})
        fr_new = self.env["dunning.interest.scheme"]._get_preset("interest_scheme_fr_l441_10", new)
        self.assertEqual(fr_new.company_id, new)
        level = self.env["dunning.level"].search([("company_id", "=", new.id), ("min_days_overdue", "=", 1)])
        self.assertEqual(level.interest_scheme_id, fr_new)

    def test_other_company_manager_cannot_read_or_change_the_margin(self):
        outsider = self._as("other_company")
        self.assertNotIn(self.fr, self.env["dunning.interest.scheme"].with_env(outsider).search([]))
        self.assertIn(self.fr_b, self.env["dunning.interest.scheme"].with_env(outsider).search([]))
        with self.assertRaises(AccessError):
            self.fr.with_env(outsider).read(["margin"])
        with self.assertRaises(AccessError):
            self.fr.with_env(outsider).write({"margin": 0.5})
        self.assertEqual(self.fr.margin, 10)
        # nor creates one in the other company, nor is its scheme charged by the other company's levels
        with self.assertRaises(AccessError):
            self.env["dunning.interest.scheme"].with_env(outsider).create(
                {"name": "Planted", "fixed_rate": 1, "company_id": self.company.id}
            )
        with self.assertRaises(UserError):
            self.level_all.interest_scheme_id = self.fr_b

    def test_access_matrix_schemes_and_rates(self):
        """(read, write, create, unlink) of company 1's scheme and of a shared reference rate."""
        expected = {
            "internal": ("----", "----"),
            "billing": ("r---", "r---"),
            "accountant": ("r---", "r---"),
            "manager": ("rwcu", "r---"),
            "auditor": ("r---", "r---"),
            "settings": ("----", "rwcu"),
            "portal": ("----", "----"),
            "public": ("----", "----"),
            "other_billing": ("----", "r---"),
            "other_company": ("----", "r---"),
        }
        for name, (scheme_rights, rate_rights) in expected.items():
            with self.subTest(user=name):
                env = self._as(name)
                self.assertEqual(self._rights(env, self.fr), scheme_rights)
                self.assertEqual(self._rights(env, self.rate), rate_rights)
        # the manager reads the rates but does not add one; the settings group does
        with self.assertRaises(AccessError):
            self.env["dunning.interest.rate"].with_env(self._as("manager")).create(
                {"code": "ecb_mro", "date_from": date(2026, 1, 1), "rate": 2}
            )
        self.env["dunning.interest.rate"].with_env(self._as("settings")).create(
            {"code": "ecb_mro", "date_from": date(2026, 1, 1), "rate": 2}
        )
        self.assertEqual(self.rate.with_env(self._as("other_company")).rate, 2.15)

    def test_manager_creates_a_scheme_in_the_current_company(self):
        scheme = (
            self.env["dunning.interest.scheme"]
            .with_env(self._as("manager"))
            .create({"name": "Contract 9 %", "fixed_rate": 9})
        )
        self.assertEqual(scheme.company_id, self.company)
        with self.assertRaises(AccessError):
            scheme.with_env(self._as("other_company")).read(["fixed_rate"])

    def test_migration_gives_each_scheme_a_company(self):
        """18.0.1.3.0: a scheme without a company goes to the first company whose levels use it (a preset to
        the main company); each other company using it gets its own copy, the same margin, or its copy of the
        preset."""
        custom = self.env["dunning.interest.scheme"].create({"name": "Contract 9 %", "fixed_rate": 9})
        shipped_fr = self.env.ref("dunning_notices.interest_scheme_fr_l441_10").sudo()
        level_b2 = self.level_b.copy({"name": "Second B"})
        self.env.flush_all()
        # as 18.0.1.2.0 left them: schemes without a company, shared by the levels of both companies
        self.env.cr.execute(
            SQL(
                """
                ALTER TABLE dunning_interest_scheme ALTER COLUMN company_id DROP NOT NULL;
                UPDATE dunning_interest_scheme SET company_id = NULL WHERE id IN %(schemes)s;
                UPDATE dunning_level SET interest_scheme_id = %(custom)s WHERE id IN %(custom_levels)s;
                UPDATE dunning_level SET interest_scheme_id = %(fr)s WHERE id = %(fr_level)s;
                """,
                schemes=(custom.id, shipped_fr.id),
                custom=custom.id,
                custom_levels=(self.level_all.id, self.level_b.id, level_b2.id),
                fr=shipped_fr.id,
                fr_level=self.level_early.id,
            )
        )
        self.env.invalidate_all()
        _migration("pre").schemes_to_owner_company(self.env.cr)
        self.env.invalidate_all()
        self.assertEqual(custom.company_id, self.company)
        self.assertEqual(shipped_fr.company_id, self.env.ref("base.main_company"))
        _migration("post").schemes_per_company(self.env(su=True))
        self.assertEqual(self.level_all.interest_scheme_id, custom)
        copy_b = self.level_b.interest_scheme_id
        self.assertEqual(level_b2.interest_scheme_id, copy_b, "one copy per company")
        self.assertEqual((copy_b.company_id, copy_b.name, copy_b.fixed_rate), (self.other, "Contract 9 %", 9))
        self.assertEqual(self.level_early.interest_scheme_id, self.fr, "the company's own copy of the preset")
        levels = (
            self.env["dunning.level"]
            .sudo()
            .with_context(active_test=False)
            .search([("interest_scheme_id", "!=", False)])
        )
        for level in levels:
            self.assertEqual(level.interest_scheme_id.company_id, level.company_id)
        # twice changes nothing
        schemes = self.env["dunning.interest.scheme"].sudo().with_context(active_test=False)
        count = schemes.search_count([])
        _migration("post").schemes_per_company(self.env(su=True))
        self.assertEqual(schemes.search_count([]), count)
