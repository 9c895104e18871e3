from datetime import date, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import mute_logger

from ..compat import web_read_group
from ..hooks import DEMO_HISTORY_CUSTOMERS
from .common import DunningTestCommon

# Day 0: the first notice is sent; both invoices were due 12 days before.
DAY0 = date(2026, 6, 1)
DUE = DAY0 - timedelta(days=12)
REPORT_FIELDS = [
    "notice_id",
    "level_id",
    "partner_id",
    "user_id",
    "company_id",
    "date_sent",
    "amount_dunned",
    "cash_7d",
    "cash_30d",
    "cash_60d",
    "other_30d",
    "days_to_first_cash",
    "rate_30d",
]


def day(n):
    return DAY0 + timedelta(days=n)


@tagged("post_install", "-at_install")
class TestDunningEffectiveness(DunningTestCommon):
    """Issue 16: the cash collected after each notice, by level, month, collector and customer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # emails without the notice PDF: no wkhtmltopdf in these tests
        (cls.level_early | cls.level_late).attach_notice_pdf = False
        cls.inv_1000 = cls._invoice(cls.alpha, DUE - timedelta(days=30), 1000, due=DUE)
        cls.inv_500 = cls._invoice(cls.alpha, DUE - timedelta(days=30), 500, due=DUE)
        cls.report = cls.env["dunning.effectiveness.report"]

    # -------------------------------------------------------------------------
    # HELPERS
    # -------------------------------------------------------------------------

    def _send_on(self, send_date, level, partners=None, user=None):
        """The notices of ``level`` emailed on ``send_date`` (as of that day) through the wizard."""
        with freeze_time(send_date):
            form = self._wizard_form(user=user, as_of_date=send_date, level_id=level)
            for partner in partners or self.alpha:
                form.partner_ids.add(partner)
            wizard, _action = self._send(form, edit=self._email_only)
        notices = wizard.notice_ids
        self.assertEqual(set(notices.mapped("state")), {"done"})
        self.assertEqual(set(notices.mapped("date_sent")), {send_date})
        return notices

    @staticmethod
    def _email_only(line):
        line.to_email = True
        line.to_print = False

    def _apply_credit_note(self, invoice, amount, credit_date):
        refund = self._credit_note(invoice.partner_id, credit_date, amount)
        (invoice.line_ids | refund.line_ids).filtered(lambda line: line.account_type == "asset_receivable").reconcile()
        return refund

    def _row(self, notice):
        rows = self.report.search_read([("notice_id", "=", notice.id)], REPORT_FIELDS)
        self.assertEqual(len(rows), 1, "one row per notice")
        return rows[0]

    def _assert_row(self, notice, **expected):
        row = self._row(notice)
        for name, value in expected.items():
            if isinstance(value, float):
                self.assertAlmostEqual(row[name], value, places=4, msg=name)
            else:
                self.assertEqual(row[name], value, name)

    def _count_queries(self, func):
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        func()
        return self.env.cr.sql_log_count - before

    # -------------------------------------------------------------------------
    # TESTS
    # -------------------------------------------------------------------------

    def test_cash_by_window_other_settlements_and_first_cash(self):
        """The issue's numbers: 1,000 + 500 dunned; 300 paid on day 5, a credit note of 100 on day 6,
        200 paid on day 45."""
        notice = self._send_on(DAY0, self.level_early)
        self._pay(self.inv_1000, 300, day(5))
        self._apply_credit_note(self.inv_1000, 100, day(6))
        self._pay(self.inv_500, 200, day(45))
        self._assert_row(
            notice,
            level_id=(self.level_early.id, self.level_early.display_name),
            partner_id=(self.alpha.id, self.alpha.display_name),
            user_id=(self.env.user.id, self.env.user.display_name),
            company_id=(self.company.id, self.company.display_name),
            date_sent=DAY0,
            amount_dunned=1500.0,
            cash_7d=300.0,
            cash_30d=300.0,
            cash_60d=500.0,
            other_30d=100.0,
            days_to_first_cash=5,
            rate_30d=0.2,
        )
        # what the customer's history shows beside the notice
        notice.invalidate_recordset()
        self.assertEqual(notice.collected_cash_30d, 300)
        self.assertEqual(notice.collected_cash_60d, 500)
        self.assertEqual(notice.collected_other_30d, 100)
        self.assertEqual(notice.days_to_first_cash, 5)
        action = self.alpha.action_view_dunning_notices()
        history = self.env.ref("dunning_notices.dunning_notice_view_list_history")
        self.assertEqual(action["views"][0], (history.id, "list"))
        arch = self.env["dunning.notice"].get_view(history.id, "list")["arch"]
        self.assertIn('name="collected_cash_30d"', arch)

    def test_latest_notice_before_the_payment_takes_it(self):
        """A notice of a higher level on day 20 takes the payment of day 45; the first keeps the earlier."""
        first = self._send_on(DAY0, self.level_early)
        self._pay(self.inv_1000, 300, day(5))
        self._apply_credit_note(self.inv_1000, 100, day(6))
        second = self._send_on(day(20), self.level_late)  # 32 days overdue: the late level
        self.assertEqual(second.level_id, self.level_late)
        self._pay(self.inv_500, 200, day(45))
        self._assert_row(first, amount_dunned=1500.0, cash_30d=300.0, cash_60d=300.0, other_30d=100.0, rate_30d=0.2)
        self._assert_row(
            second,
            amount_dunned=1100.0,  # 600 + 500 still due on day 20
            cash_7d=0.0,
            cash_30d=200.0,
            cash_60d=200.0,
            other_30d=0.0,
            days_to_first_cash=25,
            rate_30d=200 / 1100,
        )
        # the payment is counted once across the levels
        total = self.report._read_group([("partner_id", "=", self.alpha.id)], [], ["cash_60d:sum"])[0][0]
        self.assertEqual(total, 500)

    def test_settlements_before_the_notice_do_not_count(self):
        notice = self._send_on(DAY0, self.level_early)
        # recorded after the notice was sent, but dated (bank value date) 3 days before it
        self._pay(self.inv_1000, 400, day(-3))
        self._pay(self.inv_500, 100, day(0))  # the sending day counts: day 0
        self._assert_row(notice, amount_dunned=1500.0, cash_7d=100.0, cash_60d=100.0, days_to_first_cash=0)

    def test_window_bounds_are_inclusive(self):
        """A payment on day N is within N days; on day N + 1 it is not."""
        notice = self._send_on(DAY0, self.level_early)
        self._pay(self.inv_1000, 10, day(7))
        self._pay(self.inv_1000, 20, day(8))
        self._pay(self.inv_1000, 40, day(30))
        self._pay(self.inv_1000, 80, day(31))
        self._pay(self.inv_500, 160, day(60))
        self._pay(self.inv_500, 320, day(61))
        self._assert_row(notice, cash_7d=10.0, cash_30d=70.0, cash_60d=310.0, days_to_first_cash=7)

    def test_undelivered_notices_do_not_count(self):
        """A cancelled notice claims nothing, nor does an email that failed: the payment goes to the latest
        notice that reached the customer."""
        delivered = self._send_on(DAY0, self.level_early)
        cancelled = self._send_on(day(3), self.level_big)  # 1,500 owed: the big debts level
        cancelled._write_state({"state": "cancel"})
        self._pay(self.inv_1000, 300, day(5))
        self.assertEqual(self.report.search([]).notice_id, delivered)
        self._assert_row(delivered, cash_7d=300.0)
        # a failed email reached nobody: its notice is left out
        notification = delivered.message_id.notification_ids[:1]
        self.assertTrue(notification)
        notification.sudo().notification_status = "exception"
        self.assertEqual(delivered.delivery_state, "failed")
        self.assertFalse(self.report.search([]))

    def test_foreign_currency_item_settled_at_its_dunned_rate(self):
        """An item in another currency paid in full at a worse rate: the cash is what was dunned (the
        item's amount at its rate when dunned), and the exchange loss Odoo books against it is no
        settlement (neither cash nor other)."""
        eur = self.env.ref("base.EUR")
        eur.active = True
        self.env["res.currency.rate"].create(
            [
                # 1 company currency unit = 0.5 EUR when invoiced, 0.6 EUR on the day of the payment
                {"currency_id": eur.id, "name": DUE - timedelta(days=30), "rate": 0.5, "company_id": self.company.id},
                {"currency_id": eur.id, "name": day(5), "rate": 0.6, "company_id": self.company.id},
            ]
        )
        invoice = self._invoice(self.beta, DUE - timedelta(days=30), 1000, due=DUE, currency=eur)
        notice = self._send_on(DAY0, self.level_early, partners=self.beta)
        self._pay(invoice, 1000, day(5))
        self.assertEqual(invoice.payment_state, "paid")
        exchange = invoice.line_ids.matched_credit_ids.exchange_move_id
        self.assertTrue(exchange, "Odoo booked an exchange difference")
        self._assert_row(notice, amount_dunned=2000.0, cash_7d=2000.0, other_30d=0.0, rate_30d=1.0)

    def test_grouped_rate_is_sum_over_sum(self):
        """Grouped (pivot, graph, the level's rate), the rate is Σ cash / Σ dunned, never an average."""
        carol_inv = self._invoice(self.carol, DUE - timedelta(days=30), 100, due=DUE)
        notices = self._send_on(DAY0, self.level_early, partners=self.alpha | self.carol)
        self.assertEqual(len(notices), 2)
        self._pay(self.inv_1000, 300, day(5))  # alpha: 300 / 1,500 = 20 %
        self._pay(carol_inv, 100, day(3))  # carol: 100 / 100 = 100 %
        # the average of the rates would be 60 %, their sum 120 %: 400 / 1,600 = 25 %
        [[level, rate, cash, dunned]] = self.report._read_group(
            [], ["level_id"], ["rate_30d:sum", "cash_30d:sum", "amount_dunned:sum"]
        )
        self.assertEqual(level, self.level_early)
        self.assertEqual((cash, dunned), (400, 1600))
        self.assertAlmostEqual(rate, 0.25)
        # the pivot's read (the web client's grouped read, by level and month)
        [group] = web_read_group(
            self.report, [], ["level_id", "date_sent:month"], ["amount_dunned:sum", "cash_30d:sum", "rate_30d:sum"]
        )
        self.assertAlmostEqual(group["rate_30d:sum"], 0.25)
        self.assertEqual(group["date_sent:month"], "June 2026")
        # days to first cash: an average of the notices that got cash
        [[days]] = self.report._read_group([], [], ["days_to_first_cash:avg"])
        self.assertEqual(days, 4)
        # the level form: its rate over the 12 months before the last 30 days (whose 30 days are over)
        with freeze_time(day(20)):
            self.level_early.invalidate_recordset(["collection_rate_30d"])
            self.assertEqual(self.level_early.collection_rate_30d, 0, "the 30 days are not over")
        with freeze_time(day(60)):
            self.level_early.invalidate_recordset(["collection_rate_30d"])
            self.assertAlmostEqual(self.level_early.collection_rate_30d, 0.25)
            self.assertEqual(self.level_late.collection_rate_30d, 0)
        with freeze_time(day(400)):
            self.level_early.invalidate_recordset(["collection_rate_30d"])
            self.assertEqual(self.level_early.collection_rate_30d, 0, "older than 12 months")

    def test_constant_queries_for_any_number_of_notices(self):
        """The report is one SQL view: a list read and a pivot read cost the same for 1 and 12 notices."""
        notices_first = self._send_on(DAY0, self.level_early)
        self._pay(self.inv_1000, 300, day(5))

        def read_all():
            self.report.search_fetch([], REPORT_FIELDS)
            web_read_group(self.report, [], ["level_id", "date_sent:month"], ["amount_dunned:sum", "rate_30d:sum"])

        read_all()  # warm the caches (record rules, views of the models)
        one = self._count_queries(read_all)
        partners = self.env["res.partner"].create(
            [{"name": f"Customer {index}", "email": f"c{index}@example.com"} for index in range(11)]
        )
        for index, partner in enumerate(partners):
            invoice = self._invoice(partner, DUE - timedelta(days=30), 100 + index, due=DUE)
            self._pay(invoice, 50, day(index % 9))
        more = self._send_on(day(-10), self.level_early, partners=partners)
        self.assertEqual(len(self.report.search([])), len(notices_first) + len(more))
        many = self._count_queries(read_all)
        self.assertEqual(many, one)
        with self.assertQueryCount(one):
            self.env.invalidate_all()
            read_all()

    @mute_logger("odoo.addons.base.models.ir_model", "odoo.addons.base.models.ir_rule")
    def test_access_per_group_and_company(self):
        notice = self._send_on(DAY0, self.level_early)
        self._pay(self.inv_1000, 300, day(5))
        other = self.setup_other_company(name="Effectiveness B")["company"]
        users = {
            "billing": self.accountant,
            "accountant": new_test_user(
                self.env,
                login="dunning_eff_accountant",
                groups="base.group_user,account.group_account_user",
                company_id=self.company.id,
                company_ids=[Command.set(self.company.ids)],
            ),
            "manager": new_test_user(
                self.env,
                login="dunning_eff_manager",
                groups="base.group_user,account.group_account_manager",
                company_id=self.company.id,
                company_ids=[Command.set(self.company.ids)],
            ),
            "auditor": new_test_user(
                self.env,
                login="dunning_eff_auditor",
                groups="base.group_user,account.group_account_readonly",
                company_id=self.company.id,
                company_ids=[Command.set(self.company.ids)],
            ),
        }
        for role, user in users.items():
            report = self.report.with_user(user)
            rows = report.search([])
            self.assertEqual(rows.notice_id.ids, notice.ids, role)
            self.assertEqual(rows.read(["cash_30d"])[0]["cash_30d"], 300, role)
            [[rate]] = report._read_group([], [], ["rate_30d:sum"])
            self.assertAlmostEqual(rate, 0.2, msg=role)
            # read only, for everyone
            for operation in ("create", "write", "unlink"):
                self.assertFalse(report.has_access(operation), f"{role} may not {operation}")
            # the customer's history and the level form read it too
            self.assertEqual(notice.with_user(user).collected_cash_30d, 300, role)
            self.assertAlmostEqual(self.level_early.with_user(user).collection_rate_30d, 0.2, msg=role)
        other_user = new_test_user(
            self.env,
            login="dunning_eff_other",
            groups="base.group_user,account.group_account_manager",
            company_id=other.id,
            company_ids=[Command.set(other.ids)],
        )
        self.assertFalse(self.report.with_user(other_user).search([]), "another company's rows are hidden")
        with self.assertRaises(AccessError):
            self.report.with_user(other_user).browse(notice.id).read(["cash_30d"])
        portal = new_test_user(self.env, login="dunning_eff_portal", groups="base.group_portal")
        with self.assertRaises(AccessError):
            self.report.with_user(portal).search([])
        internal = new_test_user(self.env, login="dunning_eff_internal", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.report.with_user(internal).search([])

    def test_demo_history_tells_a_story(self):
        """The demo's notices of the last months and the payments after them: every default level has
        rows, the first reminder collects more than the formal notice, and no history invoice is left due."""
        # the demo is the main company's; the tests' user works in a company of its own
        customers = self.env["res.partner"].sudo().search([("name", "in", DEMO_HISTORY_CUSTOMERS)])
        if not customers:
            self.skipTest("installed without demo data")
        levels = [self.env.ref(f"dunning_notices.dunning_level_{number}") for number in range(1, 5)]
        rates = dict(
            self.report.sudo()._read_group([("partner_id", "in", customers.ids)], ["level_id"], ["rate_30d:sum"])
        )
        self.assertEqual(set(rates), set(levels))
        self.assertGreater(rates[levels[0]], rates[levels[2]])
        invoices = (
            self.env["account.move"]
            .sudo()
            .search([("partner_id", "in", customers.ids), ("move_type", "=", "out_invoice")])
        )
        self.assertEqual(set(invoices.mapped("payment_state")) - {"paid", "reversed"}, set())

    def test_views_load(self):
        """The pivot, graph, list and search views and the level's rate on its form."""
        for view_type in ("pivot", "graph", "list", "search"):
            self.report.get_view(view_type=view_type)
        action = self.env["ir.actions.actions"]._for_xml_id("dunning_notices.dunning_effectiveness_report_action")
        self.assertEqual(action["res_model"], "dunning.effectiveness.report")
        level_form = Form(self.level_early)
        self.assertEqual(level_form.collection_rate_30d, 0)
