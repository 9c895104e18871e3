from datetime import date, timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

from .common import AS_OF, DunningTestCommon


@tagged("post_install", "-at_install")
class TestDunningInterestSchemes(DunningTestCommon):
    """Issue 15, interest: the shipped presets and day counts, with numbers computed by hand."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.env.ref("base.EUR")
        # the company's copies of the presets
        schemes = cls.env["dunning.interest.scheme"]
        cls.eu = schemes._get_preset("interest_scheme_eu_2011_7", cls.company)
        cls.fr = schemes._get_preset("interest_scheme_fr_l441_10", cls.company)

    def _interest(self, scheme, amount, due, as_of, currency=None):
        series = self.env["dunning.interest.rate"]._get_series({scheme.base_code} - {False})
        return scheme._compute_interest(
            amount, due + timedelta(days=1), as_of, currency or self.eur, series.get(scheme.base_code, [])
        )

    def test_presets_second_half_of_2025(self):
        # due 1 July 2025, as of 29 September 2025: 2 July to 29 September = 90 days, all in H2 2025,
        # whose rate is the ECB rate in force on 1 July 2025: 2.15 %
        # EU: 10,000 x (2.15 + 8) % x 90 / 365 = 250.2739... -> 250.27
        self.assertEqual(self._interest(self.eu, 10000, date(2025, 7, 1), date(2025, 9, 29)), (250.27, 90))
        # France: 10,000 x (2.15 + 10) % x 90 / 365 = 299.5890... -> 299.59
        self.assertEqual(self._interest(self.fr, 10000, date(2025, 7, 1), date(2025, 9, 29)), (299.59, 90))

    def test_split_at_the_half_year_rounded_once(self):
        # due 1 May 2025, as of 30 August 2025: 2 May-30 June = 60 days at (3.15 + 10) % (the rate on
        # 1 January 2025), 1 July-30 August = 61 days at (2.15 + 10) %:
        # 1,000 x (60 x 13.15 + 61 x 12.15) / 100 / 365 = 1,000 x 1,530.15 / 36,500 = 41.9219... -> 41.92
        # (each part rounded on its own would give 21.62 + 20.31 = 41.93)
        self.assertEqual(self._interest(self.fr, 1000, date(2025, 5, 1), date(2025, 8, 30)), (41.92, 121))

    def test_day_count_on_a_fixed_rate(self):
        act365 = self.env["dunning.interest.scheme"].create({"name": "8 %", "fixed_rate": 8})
        act360 = act365.copy({"day_count": "act360"})
        # 2,500 x 8 % x 45 / 365 = 24.6575... -> 24.66; x 45 / 360 = 25.00
        self.assertEqual(self._interest(act365, 2500, date(2025, 3, 1), date(2025, 4, 15)), (24.66, 45))
        self.assertEqual(self._interest(act360, 2500, date(2025, 3, 1), date(2025, 4, 15)), (25.0, 45))
        with self.assertRaisesRegex(Exception, "reference rate or a fixed rate"):
            self.env["dunning.interest.scheme"].create({"name": "Nothing"})

    def test_a_missing_reference_rate_is_named(self):
        with self.assertRaisesRegex(UserError, "ecb_mro"):
            self._interest(self.eu, 1000, date(2020, 1, 1), date(2020, 3, 1))

    def test_half_year_reminder_to_check_the_rate(self):
        self.level_early.interest_scheme_id = self.fr
        with freeze_time("2027-01-04"):
            self.env["dunning.interest.scheme"]._cron_remind_rate_fixing()
            self.env["dunning.interest.scheme"]._cron_remind_rate_fixing()  # weekly: once per half-year
        activity = self.fr.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertIn("ecb_mro", activity.summary)
        self.assertIn("2027-01-01", activity.summary)
        self.assertTrue(activity.user_id.has_group("base.group_system"), "who may add the rate")
        self.assertFalse(self.eu.activity_ids, "a scheme no level uses")
        activity.action_feedback(feedback="Unchanged")
        with freeze_time("2027-01-11"):
            self.env["dunning.interest.scheme"]._cron_remind_rate_fixing()
        self.assertFalse(self.fr.activity_ids, "done for this half-year")
        with freeze_time("2027-07-05"):
            self.env["dunning.interest.scheme"]._cron_remind_rate_fixing()
        self.assertIn("2027-07-01", self.fr.activity_ids.summary)

    def test_access_rates_are_the_managers(self):
        rate = self.env.ref("dunning_notices.interest_rate_ecb_mro_20250611")
        self.assertEqual(rate.with_user(self.accountant).rate, 2.15)
        with self.assertRaises(AccessError):
            rate.with_user(self.accountant).write({"rate": 1})
        with self.assertRaises(AccessError):
            self.env["dunning.interest.rate"].with_user(self.accountant).create(
                {"code": "ecb_mro", "date_from": date(2026, 1, 1), "rate": 2}
            )
        with self.assertRaises(AccessError):
            self.eu.with_user(self.accountant).write({"margin": 1})
        portal = new_test_user(self.env, login="dunning_rates_portal", groups="base.group_portal")
        with self.assertRaises(AccessError):
            rate.with_user(portal).read(["rate"])
        with self.assertRaises(AccessError):
            self.eu.with_user(portal).read(["margin"])
        # an administrator adds the next rate (the managers' rights: test_dunning_companies.py)
        self.assertTrue(self.env.user.has_group("base.group_system"))
        self.env["dunning.interest.rate"].with_user(self.env.user).create(
            {"code": "ecb_mro", "date_from": date(2026, 2, 1), "rate": 2.0}
        )


@tagged("post_install", "-at_install")
class TestDunningNoticeCharges(DunningTestCommon):
    """Issue 15, interest and fees on the notices, charged once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.level_all = cls._create_level_all()
        eu = cls.env["dunning.interest.scheme"]._get_preset("interest_scheme_eu_2011_7", cls.company)
        cls.level_all.write(
            {
                "interest_scheme_id": eu.id,
                "fee_fixed": 5.0,
                "fee_compensation": True,
            }
        )
        # 1 company currency unit = 0.5 EUR: the EUR 40 compensation is 80.00 in the company currency
        cls.env["res.currency.rate"].create(
            {
                "currency_id": cls.env.ref("base.EUR").id,
                "name": date(2026, 1, 1),
                "rate": 0.5,
                "company_id": cls.company.id,
            }
        )
        cls.env.ref("base.EUR").active = True
        cls.alpha_inv = cls._invoice(cls.alpha, date(2026, 5, 1), 1000, due=date(2026, 6, 1))
        cls.carol_inv = cls._invoice(cls.carol, date(2026, 5, 1), 1000, due=date(2026, 6, 1))

    def _send_as_of(self, as_of_date, partner):
        return self._send_to(partner, self.level_all, as_of_date, user=self.accountant)[0]

    def test_interest_and_fees_then_only_what_was_not_charged(self):
        notice = self._send_as_of(AS_OF, self.alpha)
        self.assertEqual(notice.state, "done")
        line = notice._get_overdue_lines()
        # 2 to 30 June 2026 = 29 days at (2.15 + 8) % (the ECB rate in force on 1 January 2026):
        # 1,000 x 10.15 % x 29 / 365 = 8.0643... -> 8.06
        self.assertEqual((line.interest_date_from, line.interest_date_to), (date(2026, 6, 2), AS_OF))
        self.assertEqual((line.interest_days, line.amount_interest), (29, 8.06))
        self.assertEqual(line.amount_compensation, 80.0)
        self.assertEqual(notice.amount_fee_fixed, 5.0)
        self.assertEqual((notice.amount_interest, notice.amount_fees), (8.06, 85.0))
        self.assertEqual(notice.amount_total_due, 1000 + 8.06 + 85)
        # the letter and the email show them, with the total
        report = self.env.ref("dunning_notices.action_report_dunning_notice")
        html = report._render_qweb_html(report, notice.ids)[0].decode()
        for text in ("Late payment interest", "Fixed compensation for recovery costs", "Reminder fee"):
            self.assertIn(text, html)
        self.assertIn("1,093.06", html)
        body = self.level_all.mail_template_id._render_field("body_html", notice.ids)[notice.id]
        self.assertIn("Late payment interest", body)
        self.assertIn("1,093.06", body)
        # per item too: its interest and compensation columns in the email's table of items
        items_table = body[body.index("<table") : body.index("</table>")]
        for text in ("Interest", "Recovery Compensation", "$\xa08.06", "$\xa080.00", "View and pay"):
            self.assertIn(text, items_table)
        # ten days later: 1 to 10 July, 1,000 x 10.15 % x 10 / 365 = 2.7808... -> 2.78; no second EUR 40
        later = self._send_as_of(AS_OF + timedelta(days=10), self.alpha)
        line = later._get_overdue_lines()
        self.assertEqual(
            (line.interest_date_from, line.interest_days, line.amount_interest), (date(2026, 7, 1), 10, 2.78)
        )
        self.assertFalse(line.amount_compensation)
        self.assertEqual(later.amount_fees, 5.0)

    def test_an_undelivered_notice_charged_nothing(self):
        notice = self._send_as_of(AS_OF, self.alpha)
        notice._write_state({"state": "error", "error_message": "Printer on fire"})
        later = self._send_as_of(AS_OF + timedelta(days=10), self.alpha)
        line = later._get_overdue_lines()
        self.assertEqual((line.interest_date_from, line.interest_days), (date(2026, 6, 2), 39))
        self.assertEqual(line.amount_compensation, 80.0)

    def test_a_private_customer_is_not_charged_by_default(self):
        notice = self._send_as_of(AS_OF, self.carol)
        self.assertFalse(notice._get_overdue_lines().amount_interest)
        self.assertEqual((notice.amount_interest, notice.amount_fees), (0.0, 0.0))
        self.assertEqual(notice.amount_total_due, 1000)
        with Form(self.level_all) as level_form:
            level_form.charge_companies_only = False
        notice = self._send_as_of(AS_OF + timedelta(days=1), self.carol)
        self.assertEqual(notice._get_overdue_lines().amount_interest, 8.34)  # 30 days: 8.3424... -> 8.34

    def test_draft_preview_shows_the_charges_without_storing_them(self):
        form = self._wizard_form(user=self.accountant, level_id=self.level_all)
        form.partner_ids.add(self.alpha)
        wizard = self._apply(form)
        wizard.action_save_for_review()
        notice = wizard.notice_ids
        self.assertEqual(notice._get_overdue_lines().amount_interest, 8.06)
        self.assertFalse(notice.line_ids)
        self.assertFalse(notice.amount_interest)
        self.assertFalse(
            self.env["dunning.notice.line"].search_count([("notice_id.partner_id", "=", self.alpha.id)]),
            "nothing charged by a draft",
        )

    def test_charges_invoiced_once_with_the_notice(self):
        self.level_all.charge_posting = "invoice"
        notice = self._send_as_of(AS_OF, self.alpha)
        invoice = notice.charge_move_id
        self.assertEqual(invoice.state, "posted")
        self.assertEqual((invoice.partner_id, invoice.move_type, invoice.ref), (self.alpha, "out_invoice", notice.name))
        self.assertEqual(invoice.dunning_charge_notice_id, notice)
        lines = {line.product_id: line for line in invoice.invoice_line_ids}
        interest = lines[self.env.ref("dunning_notices.product_dunning_interest")]
        compensation = lines[self.env.ref("dunning_notices.product_dunning_compensation")]
        fee = lines[self.env.ref("dunning_notices.product_dunning_fee")]
        self.assertEqual(interest.name, f"Late payment interest {self.alpha_inv.name}")
        self.assertEqual((interest.price_subtotal, compensation.price_subtotal, fee.price_subtotal), (8.06, 80.0, 5.0))
        self.assertFalse(invoice.invoice_line_ids.tax_ids)
        self.assertAlmostEqual(invoice.amount_total, notice.amount_interest + notice.amount_fees)
        # processed again (a retry), the notice keeps its one invoice
        notice._post_charge_invoice()
        self.assertEqual(self.env["account.move"].search_count([("dunning_charge_notice_id", "=", notice.id)]), 1)
        # the charge invoice is dunned later like any invoice, but earns neither interest nor compensation
        later = self._send_as_of(AS_OF + timedelta(days=20), self.alpha)
        charge_line = later._get_overdue_lines().filtered(lambda line: line.move_id == invoice)
        self.assertTrue(charge_line)
        self.assertFalse(charge_line.amount_interest or charge_line.amount_compensation)
        self.assertAlmostEqual(later.charge_move_id.amount_total, later.amount_interest + later.amount_fees)


@tagged("post_install", "-at_install")
class TestDunningNoticeQrCode(DunningTestCommon):
    """Issue 15, the EPC (SEPA credit transfer) QR code of a notice asking for EUR."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.level_all = cls._create_level_all()
        cls.eur = cls.env.ref("base.EUR")
        cls.eur.active = True
        cls.env["res.currency.rate"].create(
            {"currency_id": cls.eur.id, "name": date(2026, 1, 1), "rate": 0.5, "company_id": cls.company.id}
        )
        cls.company.qr_code = True
        cls.bank = cls.env["res.partner.bank"].create(
            {"acc_number": "DE89 3704 0044 0532 0130 00", "partner_id": cls.company.partner_id.id}
        )

    def _notice(self, partner):
        return self._send_to(partner, self.level_all)[0]

    def test_qr_code_for_the_amount_due_in_eur(self):
        invoices = self._invoice(self.alpha, date(2026, 5, 1), 700, due=date(2026, 6, 1), currency=self.eur)
        invoices |= self._invoice(self.alpha, date(2026, 5, 2), 300.5, due=date(2026, 6, 2), currency=self.eur)
        notice = self._notice(self.alpha)
        bank, amount, remittance = notice._get_payment_qr_args()
        self.assertEqual((bank, amount), (self.bank, 1000.5))
        self.assertEqual(remittance, " ".join([notice.name, *invoices.sorted("invoice_date_due").mapped("name")]))
        payload = bank._get_qr_vals("sct_qr", amount, self.eur, notice.partner_id, remittance, None)
        self.assertEqual(payload[:4], ["BCD", "002", "1", "SCT"])
        self.assertEqual((payload[6], payload[7], payload[10]), ("DE89370400440532013000", "EUR1000.5", remittance))
        self.assertTrue(notice._get_payment_qr_code().startswith("data:image/png;base64,"))
        report = self.env.ref("dunning_notices.action_report_dunning_notice")
        self.assertIn('name="payment_qr_code"', report._render_qweb_html(report, notice.ids)[0].decode())

    def test_no_qr_code_outside_eur_or_without_the_setting(self):
        self._invoice(self.beta, date(2026, 5, 1), 700, due=date(2026, 6, 1))  # the company's currency, USD
        notice = self._notice(self.beta)
        self.assertIsNone(notice._get_payment_qr_args())
        self.assertFalse(notice._get_payment_qr_code())
        self._invoice(self.carol, date(2026, 5, 1), 700, due=date(2026, 6, 1), currency=self.eur)
        self.company.qr_code = False
        self.assertIsNone(self._notice(self.carol)._get_payment_qr_args())

    def test_remittance_text_at_most_140_characters(self):
        for day in range(1, 13):
            self._invoice(self.alpha, date(2026, 5, day), 10, due=date(2026, 6, day), currency=self.eur)
        remittance = self._notice(self.alpha)._get_payment_remittance()
        self.assertEqual(len(remittance), 140)
        self.assertTrue(remittance.endswith("..."))
