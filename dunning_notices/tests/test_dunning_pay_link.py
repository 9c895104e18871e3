from datetime import date
from urllib.parse import parse_qs, urlparse

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.account_payment.tests.common import AccountPaymentCommon
from odoo.addons.payment.tests.http_common import PaymentHttpCommon

from .common import DunningTestCommon


@tagged("post_install", "-at_install")
class TestDunningPayLink(DunningTestCommon, AccountPaymentCommon, PaymentHttpCommon):
    """Issue 15, pay now: each overdue invoice of a notice links to its portal page, where it is paid."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.level_all = cls._create_level_all()

    def test_pay_link_opens_the_portal_page_whose_token_pays(self):
        invoice = self._invoice(self.alpha, date(2026, 5, 1), 700, due=date(2026, 6, 1))
        entry_line = self._invoice(self.alpha, date(2026, 5, 2), 50, due=date(2026, 6, 2))
        entry_line.button_draft()
        entry_line.move_type = "entry"  # a misc. entry on the receivable: dunned, but no portal page
        entry_line.action_post()
        notice, mails = self._send_to(self.alpha, self.level_all, email=True)
        self.assertEqual(notice.state, "done")
        self.assertEqual(notice._get_overdue_lines().move_id, invoice | entry_line)

        # in the email ("View and pay" per invoice) and in the PDF, built without writing a portal token
        url = invoice._get_dunning_pay_url()
        self.assertTrue(url.startswith(f"{invoice.get_base_url()}/dunning/pay/{invoice.id}?access_token="))
        self.assertFalse(entry_line._get_dunning_pay_url())
        self.assertEqual(len(mails), 1)
        self.assertIn(f'href="{url}"', mails.body_html)
        self.assertEqual(mails.body_html.count("/dunning/pay/"), 1)
        report = self.env.ref("dunning_notices.action_report_dunning_notice")
        self.assertIn(f'href="{url}"', report._render_qweb_html(report, notice.ids)[0].decode())
        self.assertFalse(invoice.access_token)

        # an anonymous visitor lands on the invoice's portal page, with the amount due and "Pay Now"
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        landed = urlparse(response.url)
        self.assertEqual(landed.path, f"/my/invoices/{invoice.id}")
        token = parse_qs(landed.query)["access_token"][0]
        self.assertEqual(token, invoice.access_token)
        self.assertIn(invoice.name, response.text)
        self.assertIn("Pay Now", response.text)

        # the page's token is accepted by the payment route: a transaction paying the invoice
        values = {
            "provider_id": self.provider.id,
            "payment_method_id": self.payment_method_id,
            "token_id": None,
            "amount": invoice.amount_residual,
            "flow": "direct",
            "tokenization_requested": False,
            "landing_route": invoice.get_portal_url(),
            "access_token": token,
        }
        with mute_logger("odoo.addons.payment.models.payment_transaction"):
            processing_values = self._get_processing_values(tx_route=f"/invoice/transaction/{invoice.id}", **values)
        transaction = self._get_tx(processing_values["reference"])
        self.assertEqual(transaction.invoice_ids, invoice)
        transaction._set_done()
        transaction._post_process()
        self.assertIn(invoice.payment_state, ("in_payment", "paid"))

    @mute_logger("odoo.http")
    def test_a_forged_or_borrowed_pay_link_is_not_found(self):
        invoice = self._invoice(self.alpha, date(2026, 5, 1), 700, due=date(2026, 6, 1))
        other = self._invoice(self.beta, date(2026, 5, 1), 900, due=date(2026, 6, 1))
        token = invoice._get_dunning_pay_token()
        for path in (
            f"/dunning/pay/{invoice.id}?access_token={token[:-1]}x",  # tampered
            f"/dunning/pay/{invoice.id}",  # no token
            f"/dunning/pay/{other.id}?access_token={token}",  # another invoice's
            f"/dunning/pay/999999999?access_token={token}",  # no such invoice
        ):
            with self.subTest(path=path):
                self.assertEqual(self.url_open(path, allow_redirects=False).status_code, 404)
        self.assertFalse(other.access_token)
        # a vendor bill never gets a pay link, whatever its token
        bill = self.init_invoice("in_invoice", self.alpha, amounts=[100], post=True)
        self.assertFalse(bill._get_dunning_pay_url())
        response = self.url_open(f"/dunning/pay/{bill.id}?access_token={bill._get_dunning_pay_token()}")
        self.assertEqual(response.status_code, 404)
        # a cancelled invoice neither
        invoice.button_draft()
        invoice.button_cancel()
        self.assertEqual(self.url_open(f"/dunning/pay/{invoice.id}?access_token={token}").status_code, 404)
