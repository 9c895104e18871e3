from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.tests import Form, new_test_user

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.mail.tests.common import MailCommon

AS_OF = date(2026, 6, 30)


class DunningTestCommon(AccountTestInvoicingCommon, MailCommon):
    """A company with its own levels and customers; invoices are dated relative to ``AS_OF``."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_dunning_data()

    @classmethod
    def _setup_dunning_data(cls):
        cls.company = cls.company_data["company"]
        cls.currency = cls.company_data["currency"]
        cls.company.email = "billing@company.example.com"
        cls.env["dunning.level"].search([("company_id", "=", cls.company.id)]).active = False
        # no minimum interval (a new company's default is 7 days): the tests of the rule set their own
        cls.company.dunning_min_interval_days = 0
        level_model = cls.env["dunning.level"]
        report = cls.env.ref("dunning_notices.action_report_dunning_notice")
        cls.level_early, cls.level_late, cls.level_big = level_model.create(
            [
                {
                    "name": "Early",
                    "sequence": 1,
                    "min_days_overdue": 1,
                    "max_days_overdue": 30,
                    "report_id": report.id,
                    "mail_template_id": cls.env.ref("dunning_notices.mail_template_dunning_level_1").id,
                    "note": "Friendly reminder",
                },
                {
                    "name": "Late",
                    "sequence": 2,
                    "min_days_overdue": 31,
                    "max_days_overdue": 0,
                    "report_id": report.id,
                    "mail_template_id": cls.env.ref("dunning_notices.mail_template_dunning_level_4").id,
                    "note": "Final notice",
                },
                {
                    "name": "Big debts",
                    "sequence": 3,
                    "min_days_overdue": 1,
                    "min_amount_overdue": 1000,
                    "max_amount_overdue": 5000,
                    "report_id": report.id,
                    "mail_template_id": cls.env.ref("dunning_notices.mail_template_dunning_level_2").id,
                },
            ]
        )
        cls.tag_vip = cls.env["res.partner.category"].create({"name": "VIP"})
        partner_model = cls.env["res.partner"]
        cls.alpha = partner_model.create(
            {"name": "Alpha Corp", "is_company": True, "ref": "C001", "email": "alpha@example.com", "lang": "en_US"}
        )
        cls.alpha_billing = partner_model.create(
            {"name": "Alpha Billing", "parent_id": cls.alpha.id, "type": "invoice", "email": "ap@alpha.example.com"}
        )
        cls.beta = partner_model.create(
            {
                "name": "Beta Ltd",
                "is_company": True,
                "ref": "C002",
                "email": "beta@example.com",
                "category_id": [Command.set(cls.tag_vip.ids)],
            }
        )
        cls.carol = partner_model.create(
            {"name": "Carol Person", "is_company": False, "ref": "C003", "email": "carol@example.com"}
        )
        cls.dan = partner_model.create({"name": "Dan No-Email", "is_company": True, "ref": "C004"})

        cls.accountant = new_test_user(
            cls.env,
            login="dunning_accountant",
            name="Anna Accountant",
            email="anna@company.example.com",
            groups="base.group_user,account.group_account_invoice",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    @classmethod
    def _create_level_all(cls):
        """A level of every overdue item, whatever its days or amount."""
        return cls.env["dunning.level"].create(
            {
                "name": "All overdue",
                "sequence": 0,
                "min_days_overdue": 1,
                "report_id": cls.env.ref("dunning_notices.action_report_dunning_notice").id,
                "mail_template_id": cls.env.ref("dunning_notices.mail_template_dunning_level_1").id,
            }
        )

    @classmethod
    def _invoice(cls, partner, invoice_date, amount, due=None, currency=None, payment_term=None, post=True):
        vals = {
            "move_type": "out_invoice",
            "partner_id": partner.id,
            "invoice_date": invoice_date,
            "currency_id": (currency or cls.currency).id,
            "invoice_line_ids": [
                Command.create({"name": "Service", "quantity": 1, "price_unit": amount, "tax_ids": [Command.clear()]})
            ],
        }
        if payment_term:
            vals["invoice_payment_term_id"] = payment_term.id
        else:
            vals["invoice_date_due"] = due or invoice_date
        move = cls.env["account.move"].create(vals)
        if post:
            move.action_post()
        return move

    @classmethod
    def _credit_note(cls, partner, invoice_date, amount):
        move = cls.env["account.move"].create(
            {
                "move_type": "out_refund",
                "partner_id": partner.id,
                "invoice_date": invoice_date,
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Refund", "quantity": 1, "price_unit": amount, "tax_ids": [Command.clear()]}
                    )
                ],
            }
        )
        move.action_post()
        return move

    @classmethod
    def _pay(cls, invoice, amount, pay_date):
        return (
            cls.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"amount": amount, "payment_date": pay_date})
            ._create_payments()
        )

    def _wizard_form(self, user=None, **values):
        """The wizard as an accountant fills it: as-of date, level, then the given fields."""
        env = self.env(user=user) if user else self.env
        form = Form(env["dunning.notice.send"])
        form.date_mode = "custom"
        form.as_of_date = values.pop("as_of_date", AS_OF)
        form.level_id = values.pop("level_id", self.level_early)
        for name, value in values.items():
            setattr(form, name, value)
        return form

    def _apply(self, form):
        wizard = form.save()
        wizard.action_apply_filters()
        return wizard

    def _send(self, form=None, edit=None, user=None, run_queue=True):
        """Apply the filters, let ``edit(line_form)`` change the lines per customer, send; then, with
        ``run_queue``, process what the send left to the background as the cron does. The action is
        the send's."""
        wizard = self._apply(form or self._wizard_form(user=user))
        if edit:
            with Form(wizard) as wizard_form:
                for index in range(len(wizard_form.line_ids)):
                    with wizard_form.line_ids.edit(index) as line:
                        edit(line)
        with self.mock_mail_gateway():
            action = wizard.action_send()
            if run_queue:
                self._run_queue()
        return wizard, action

    def _send_to(self, partner, level, as_of_date=AS_OF, email=False, user=None):
        """The notice of ``level`` for ``partner`` alone, sent through the wizard on ``as_of_date`` (printed,
        or emailed): ``(notices, mail.mail created)``."""
        form = self._wizard_form(user=user, level_id=level, as_of_date=as_of_date)
        form.partner_ids.add(partner)
        wizard = self._apply(form)
        wizard.line_ids.write({"to_print": not email, "to_email": email})
        with freeze_time(as_of_date), self.mock_mail_gateway():
            wizard.action_send()
            mails = self._new_mails
        return wizard.notice_ids, mails

    def _run_queue(self, **context):
        """Process the queued notices as the cron does, batch after batch (``_cron_process_queue``),
        until it takes none: the notices a run left to the background (those with a PDF). Returns them."""
        queue = self.env["dunning.notice"].with_context(**context)
        processed = queue.browse()
        while batch := queue._cron_process_queue():
            processed |= batch
        return processed

    def _line(self, wizard, partner):
        """The wizard line of ``partner``, listed or left out."""
        lines = (wizard.line_ids | wizard.excluded_line_ids).filtered(lambda line: line.partner_id == partner)
        self.assertEqual(len(lines), 1, f"{partner.name} is on one line")
        return lines

    def _lines_by_partner(self, wizard):
        return {line.partner_id: line for line in wizard.line_ids}
