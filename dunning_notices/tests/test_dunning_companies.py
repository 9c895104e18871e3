import importlib.util
from datetime import date

import psycopg2

from odoo import Command
from odoo.exceptions import AccessError
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
            "other_billing": user("co_other_billing", "base.group_user,account.group_account_invoice", cls.other),
            "other_company": user("co_other_manager", "base.group_user,account.group_account_manager", cls.other),
        }

    def _as(self, name, company=None):
        """The env of the user ``name`` working in ``company`` (default: the user's own)."""
        user = self.users[name]
        company = company or user.company_id
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
                foreign = self.other if env.user.company_id == self.company else self.company
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
