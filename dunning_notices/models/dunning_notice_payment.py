# Paying from the notice: an EPC (SEPA credit transfer) QR code for the amount due in EUR, built by the
# company's bank account (account_qr_code_sepa), never writing anything on the invoices.
# pylint: disable=consider-merging-classes-inherited
from odoo import models

REMITTANCE_MAX = 140  # characters of unstructured remittance information in an EPC QR code


class DunningNotice(models.Model):
    _inherit = "dunning.notice"

    def _get_payment_remittance(self):
        """The transfer's text: the notice number and the invoices it asks for, 140 characters at most."""
        self.ensure_one()
        names = [self.name, *dict.fromkeys(self._get_overdue_lines().move_id.mapped("name"))]
        text = " ".join(names)
        return text if len(text) <= REMITTANCE_MAX else text[: REMITTANCE_MAX - 3] + "..."

    def _get_payment_qr_args(self):
        """(bank account, amount, remittance) of the notice's EPC QR code, or None: the company shows QR
        codes on its invoices, has a SEPA IBAN and the notice asks for EUR only (its charges included
        when the company's currency is EUR)."""
        self.ensure_one()
        company = self.company_id
        eur = self.env.ref("base.EUR")
        if not company.qr_code:
            return None
        due = [row for row in self._get_currency_summary() if row["offset"] and row["net"] > 0]
        if len(due) != 1 or due[0]["currency"] != eur:
            return None
        amount = due[0]["net"]
        if company.currency_id == eur:
            amount += self._get_charges_summary()["charges"]
        bank = company.partner_id.bank_ids.filtered(lambda bank: bank.acc_type == "iban")[:1]
        if not bank:
            return None
        return bank, eur.round(amount), self._get_payment_remittance()

    def _get_payment_qr_code(self):
        """The data URI of the notice's EPC QR code, or False."""
        args = self._get_payment_qr_args()
        if not args:
            return False
        bank, amount, remittance = args
        eur = self.env.ref("base.EUR")
        return (
            bank.sudo().build_qr_code_base64(amount, remittance, None, eur, self.partner_id, qr_method="sct_qr")
            or False
        )
