from odoo import http
from odoo.http import request
from odoo.tools import consteq


class DunningPayController(http.Controller):
    @http.route("/dunning/pay/<int:invoice_id>", type="http", auth="public", methods=["GET"], readonly=False)
    def dunning_pay(self, invoice_id, access_token=None, **kwargs):
        """A notice's pay link: on to the invoice's portal page, whose portal token it creates if needed
        (a visitor of the link gets no more than the portal link of an invoice email would give)."""
        invoice = request.env["account.move"].sudo().browse(invoice_id).exists()
        if not (
            invoice
            and access_token
            and consteq(access_token, invoice._get_dunning_pay_token())
            and invoice._has_dunning_pay_link()
        ):
            raise request.not_found()
        return request.redirect(invoice.get_portal_url())
