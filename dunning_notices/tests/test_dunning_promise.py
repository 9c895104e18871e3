from datetime import date, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from .common import DunningTestCommon

TODAY = date.today()


def days_ago(days):
    return TODAY - timedelta(days=days)


@tagged("post_install", "-at_install")
class TestDunningPromise(DunningTestCommon):
    """Issue 27: a promise to pay, taken by the collector: its items wait, the cron finds it kept or broken,
    a broken one is dunned again and tells the collector."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.level_all = cls._create_level_all()
        cls.collector = new_test_user(
            cls.env,
            login="promise_collector",
            groups="base.group_user,account.group_account_invoice",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.inv_1 = cls._invoice(cls.alpha, days_ago(60), 700, due=days_ago(40))
        cls.inv_2 = cls._invoice(cls.alpha, days_ago(50), 300, due=days_ago(20))
        cls.beta_inv = cls._invoice(cls.beta, days_ago(50), 900, due=days_ago(20))

    def _take_promise(self, partner, days, amount=0.0, lines=None, user=None):
        """The collector's promise from the customer's Promises button: New, the date, Save."""
        env = self.env(user=user or self.collector)
        action = partner.with_env(env).action_view_dunning_promises()
        form = Form(env["dunning.promise"].with_context(**action["context"]))
        if lines is not None:
            form.move_line_ids.clear()
            for line in lines:
                form.move_line_ids.add(line)
        form.date_promised = TODAY + timedelta(days=days)
        form.amount = amount
        return form.save()

    def _selection(self, partner, as_of_date=TODAY):
        form = self._wizard_form(level_id=self.level_all, as_of_date=as_of_date)
        form.partner_ids.add(partner)
        return self._line(self._apply(form), partner)

    def _receivable(self, invoice):
        return invoice.line_ids.filtered(lambda line: line.account_type == "asset_receivable")

    def test_collector_takes_a_promise_and_the_run_leaves_the_customer_out(self):
        promise = self._take_promise(self.alpha, 10)
        self.assertRecordValues(
            promise,
            [
                {
                    "partner_id": self.alpha.id,
                    "source": "collector",
                    "state": "open",
                    "user_id": self.collector.id,
                    "amount_due": 1000.0,
                    "company_id": self.company.id,
                }
            ],
        )
        # the customer's overdue items by default
        self.assertEqual(promise.move_line_ids, self._receivable(self.inv_1 | self.inv_2))
        # the customer's chatter, read by every company sharing the customer: no amount; the promise's has it
        self.assertIn("Promise to pay by", self.alpha.message_ids[0].body)
        self.assertNotIn("1,000", self.alpha.message_ids[0].body)
        self.assertIn("Promise to pay $&nbsp;1,000.00 by", promise.message_ids[-1].body)
        self.assertEqual(self.alpha.dunning_promise_count, 1)
        line = self._selection(self.alpha)
        self.assertEqual((line.exclusion_reason, line.excluded), ("promised", True))
        self.assertIn("Promised to pay $\xa01,000.00 by", line.exclusion_detail)
        # the run keeps the reason
        self.assertIn("promised", dict(self.env["dunning.run.left.out"]._fields["reason"].selection))

    def test_a_customer_with_part_promised_is_reminded_of_the_rest(self):
        self._take_promise(self.alpha, 5, lines=self._receivable(self.inv_1))
        line = self._selection(self.alpha)
        self.assertFalse(line.excluded)
        self.assertEqual(line.move_line_ids.move_id, self.inv_2)
        self.assertEqual(line.amount_overdue, 300.0)

    def test_promised_date_and_amount_are_bounded(self):
        for days, amount in ((-1, 0.0), (self.company.dunning_promise_max_days + 1, 0.0), (5, -10.0)):
            with self.subTest(days=days, amount=amount), self.assertRaises(ValidationError):
                self._take_promise(self.alpha, days, amount)
        # another customer's item is refused
        with self.assertRaises(ValidationError):
            self.env["dunning.promise"].create(
                {
                    "partner_id": self.alpha.id,
                    "move_line_ids": [Command.set(self._receivable(self.beta_inv).ids)],
                    "date_promised": TODAY + timedelta(days=3),
                }
            )
        self.company.dunning_promise_max_days = 60
        self.assertEqual(self._take_promise(self.alpha, 45).state, "open")

    def test_the_day_after_a_promise_is_kept_or_broken(self):
        kept = self._take_promise(self.alpha, 3, amount=500.0)
        broken = self._take_promise(self.beta, 3)
        self._pay(self.inv_1, 600, TODAY)  # more than the 500 promised
        self._pay(self.beta_inv, 400, TODAY)  # a part only: broken without an amount
        promises = kept | broken
        with freeze_time(TODAY + timedelta(days=3)):
            promises._cron_check_promises()  # the promised day itself: not yet
        self.assertEqual(broken.state, "open")
        self.assertEqual(kept.state, "kept")  # its amount already paid
        with freeze_time(TODAY + timedelta(days=4)):
            promises._cron_check_promises()
        self.assertEqual(broken.state, "broken")
        activity = broken.activity_ids
        self.assertEqual((activity.user_id, activity.summary), (self.collector, "Broken promise to pay"))
        self.assertIn("$&nbsp;500.00 is still due", activity.note)
        self.assertIn("broken: its items are dunned again", self.beta.message_ids[0].body)
        # dunned again from the next run
        line = self._selection(self.beta, as_of_date=TODAY + timedelta(days=4))
        self.assertFalse(line.excluded)
        self.assertEqual(line.amount_overdue, 500.0)

    def test_an_item_is_promised_once_and_a_promise_paid_in_full_is_kept(self):
        promise = self._take_promise(self.alpha, 3, amount=5000.0)  # more than due: kept once all is paid
        with self.assertRaises(ValidationError):
            self._take_promise(self.alpha, 5, lines=self._receivable(self.inv_1))
        # what only Odoo writes cannot come through the context's defaults either
        forced = (
            self.env(user=self.collector)["dunning.promise"]
            .with_context(default_state="kept", default_source="customer")
            .create(
                {
                    "partner_id": self.beta.id,
                    "move_line_ids": [Command.set(self._receivable(self.beta_inv).ids)],
                    "date_promised": TODAY + timedelta(days=2),
                }
            )
        )
        self.assertRecordValues(forced, [{"state": "open", "source": "collector"}])
        self._pay(self.inv_1, 700, TODAY)
        self._pay(self.inv_2, 300, TODAY)
        promise._cron_check_promises()
        self.assertEqual(promise.state, "kept")
        with self.assertRaises(UserError):
            promise.with_user(self.collector).date_promised = TODAY + timedelta(days=9)

    def test_cancelling_a_promise_resumes_dunning(self):
        promise = self._take_promise(self.alpha, 10)
        promise.with_user(self.collector).action_cancel()
        self.assertEqual(promise.state, "cancelled")
        self.assertFalse(self._selection(self.alpha).excluded)

    def test_wizard_line_takes_a_promise_of_its_items(self):
        form = self._wizard_form(level_id=self.level_all, as_of_date=TODAY, user=self.collector)
        form.partner_ids.add(self.alpha)
        wizard = self._apply(form)
        line = self._line(wizard, self.alpha)
        action = line.action_take_promise()
        self.assertEqual(action["res_model"], "dunning.promise")
        promise_form = Form(self.env(user=self.collector)["dunning.promise"].with_context(**action["context"]))
        promise_form.date_promised = TODAY + timedelta(days=7)
        promise = promise_form.save()
        self.assertEqual(promise.move_line_ids, line.move_line_ids)
        self.assertEqual(promise.partner_id, self.alpha)

    def test_promise_access(self):
        promise = self._take_promise(self.alpha, 10)
        auditor = new_test_user(
            self.env,
            login="promise_auditor",
            groups="base.group_user,account.group_account_readonly",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        portal = new_test_user(self.env, login="promise_portal", groups="base.group_portal")
        other = self.setup_other_company(name="Promise B")["company"]
        other_billing = new_test_user(
            self.env,
            login="promise_other_billing",
            groups="base.group_user,account.group_account_invoice",
            company_id=other.id,
            company_ids=[Command.set(other.ids)],
        )
        # accountants and managers take and read promises as billing users do
        for login, group in (
            ("promise_accountant", "account.group_account_user"),
            ("promise_manager", "account.group_account_manager"),
        ):
            user = new_test_user(
                self.env,
                login=login,
                groups=f"base.group_user,{group}",
                company_id=self.company.id,
                company_ids=[Command.set(self.company.ids)],
            )
            with self.subTest(login=login):
                self.assertEqual(promise.with_user(user).read(["state"])[0]["state"], "open")
                self.assertEqual(self._take_promise(self.beta, 4, user=user).user_id, user)
                self.env["dunning.promise"].search([("partner_id", "=", self.beta.id)]).sudo()._set_state("cancelled")
        self.assertEqual(promise.with_user(auditor).read(["state"])[0]["state"], "open")
        with self.assertRaises(AccessError):
            promise.with_user(auditor).action_cancel()
        with self.assertRaises(AccessError):
            self._take_promise(self.beta, 5, user=auditor)
        with self.assertRaises(AccessError):
            promise.with_user(portal).read(["state"])
        self.assertFalse(self.env["dunning.promise"].with_user(other_billing).search([]))
        with self.assertRaises(AccessError):
            promise.with_user(other_billing).read(["state"])
        with self.assertRaises(AccessError):
            promise.with_user(self.collector).unlink()
        # a collector edits the date and note, never the status nor the origin
        promise.with_user(self.collector).write({"note": "Called back", "date_promised": TODAY + timedelta(days=5)})
        for vals in ({"state": "kept"}, {"source": "customer"}, {"amount_due": 1.0}):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                promise.with_user(self.collector).write(vals)
        self.assertEqual(promise.state, "open")
