from datetime import timedelta
from urllib.parse import urlencode

from odoo import fields, http, tools
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.fields import Command
from odoo.http import request

from odoo.addons.account_payment.controllers.portal import PortalAccount
from odoo.addons.portal.controllers.portal import pager as portal_pager

from ..compat import JSON_ROUTE

NOTICES_PER_PAGE = 20


class DunningPortal(PortalAccount):
    """The customer's page of a dunning notice, opened by its signed link (the email's button, the letter's
    URL and QR code) or by a portal user of the customer under /my. What the page may do is decided by the
    notice (``models/dunning_notice_portal.py``); here: access, input parsing and rendering."""

    # -------------------------------------------------------------------------
    # /my: the portal user's own notices
    # -------------------------------------------------------------------------

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "dunning_notice_count" in counters:
            notices = request.env["dunning.notice"]
            values["dunning_notice_count"] = (
                notices.search_count(self._get_dunning_notices_domain()) if notices.has_access("read") else 0
            )
        return values

    def _get_dunning_notices_domain(self):
        # the record rules keep a portal user to its commercial partner's notices; the domain says it too
        partner = request.env.user.partner_id.commercial_partner_id
        return [("partner_id", "=", partner.id), ("state", "=", "done")]

    @http.route(["/my/dunning", "/my/dunning/page/<int:page>"], type="http", auth="user", website=True)
    def portal_my_dunning_notices(self, page=1, **kw):
        notices = request.env["dunning.notice"]
        if not notices.has_access("read"):
            return request.redirect("/my")
        domain = self._get_dunning_notices_domain()
        pager = portal_pager(url="/my/dunning", total=notices.search_count(domain), page=page, step=NOTICES_PER_PAGE)
        values = self._prepare_portal_layout_values()
        values.update(
            page_name="dunning_notices",
            pager=pager,
            # found as the user (its record rules), shown as the server: the level is not the customer's to read
            notices=notices.search(
                domain, order="date_sent desc, id desc", limit=NOTICES_PER_PAGE, offset=pager["offset"]
            ).sudo(),
            default_url="/my/dunning",
        )
        return request.render("dunning_notices.portal_my_dunning_notices", values)

    # -------------------------------------------------------------------------
    # The notice's page
    # -------------------------------------------------------------------------

    def _dunning_notice_check(self, notice_id, access_token):
        """The notice (sudo) the visitor may open, or None: a user who reads it (a portal user of the
        customer, an accountant of its company), or the notice's own token, not expired. An expired
        token gives the notice with ``expired``."""
        try:
            notice = self._document_check_access("dunning.notice", notice_id, access_token)
        except (AccessError, MissingError):
            return None, False
        if notice.state != "done":
            return None, False
        by_token = not request.env["dunning.notice"].browse(notice_id).has_access("read")
        return notice, by_token and notice._portal_link_expired()

    def _dunning_url(self, notice, access_token, **params):
        """The page's URL with ``params``, and the visitor's token when it is the notice's own."""
        if access_token and access_token == notice.access_token:
            params = {"access_token": access_token, **params}
        return f"{notice.access_url}?{urlencode(params)}" if params else notice.access_url

    @staticmethod
    def _dunning_acts_as_customer():
        """Who may pay, dispute or promise on the page: the customer (a visitor with the link, a portal user
        of the customer), never an internal user, who may open the page to see what the customer sees."""
        return not request.env.user._is_internal()

    @staticmethod
    def _dunning_in_customer_lang(notice):
        """A visitor reads the notice, its messages and its errors in the customer's language."""
        if not request.env.user._is_public():
            return notice
        request.update_context(lang=notice.partner_id.lang or request.env.lang)
        return notice.with_context(lang=request.env.lang)

    def _dunning_render(self, notice, access_token, error=None, message=None, currency_id=None, status=200):
        notice = self._dunning_in_customer_lang(notice)
        items = notice._get_portal_items()
        payable = notice._get_portal_payable(items)
        values = self._prepare_portal_layout_values()
        values.update(
            page_name="dunning_notice",
            notice=notice,
            items=items,
            payable=payable,
            credits=notice._get_portal_credits(items),
            access_token=access_token,
            error=error,
            message=message,
            bank=notice._get_portal_bank_account(),
            qr_code=notice._get_portal_payment_qr_code(payable),
            is_customer=self._dunning_acts_as_customer(),
            charges=notice._get_charges_summary(),
            promise_max_date=fields.Date.context_today(notice)
            + timedelta(days=notice.company_id.dunning_promise_max_days),
            today=fields.Date.context_today(notice),
            format_date=lambda value: tools.format_date(notice.env, value),
            format_amount=lambda amount, currency: tools.format_amount(notice.env, amount, currency),
        )
        currency = request.env["res.currency"].browse(currency_id).exists() if currency_id else None
        currency = currency if currency in payable else next(iter(payable), None)
        if currency and payable[currency][1] > 0 and values["is_customer"]:
            values.update(self._dunning_payment_values(notice, access_token, currency, payable[currency][1]))
        return request.render("dunning_notices.portal_dunning_notice_page", values, status=status)

    def _dunning_payment_values(self, notice, access_token, currency, amount):
        """The values of Odoo's payment form for the notice's Pay All in ``currency`` (account_payment's
        own, as its overdue invoices page builds them); no provider: the page shows the bank details."""
        values = self._get_common_page_view_values(
            invoices_data={
                "partner": notice.partner_id,
                "company": notice.company_id,
                "total_amount": amount,
                "currency": currency,
                "amount_residual": amount,
                "payment_reference": notice.name,
                "landing_route": self._dunning_url(notice, access_token, message="paid"),
                "transaction_route": f"/my/dunning/{notice.id}/transaction/{currency.id}",
            },
            access_token=access_token,
        )
        if request.env.user._is_public():
            # whoever holds the letter is not the customer: never the customer's saved payment methods
            values["tokens_sudo"] = request.env["payment.token"].sudo()
            values["show_tokenize_input_mapping"] = dict.fromkeys(values["show_tokenize_input_mapping"], False)
        values.update(amount=amount, pay_currency=currency)
        return values

    @http.route("/my/dunning/<int:notice_id>", type="http", auth="public", methods=["GET"], website=True)
    def portal_dunning_notice(self, notice_id, access_token=None, message=None, currency_id=None, **kw):
        notice, expired = self._dunning_notice_check(notice_id, access_token)
        if notice is None:
            raise request.not_found()
        if expired:
            return request.render("dunning_notices.portal_dunning_notice_expired", {"notice": notice}, status=404)
        if not request.env.user._is_internal():
            notice._portal_mark_viewed()
        currency_id = int(currency_id) if currency_id and str(currency_id).isdigit() else None
        return self._dunning_render(notice, access_token, message=message, currency_id=currency_id)

    def _dunning_post(self, notice_id, access_token, action):
        """A form of the page posted: ``action(notice)`` as the server, once the token is checked; a
        refused input shows the page again with the reason, nothing written."""
        notice, expired = self._dunning_notice_check(notice_id, access_token)
        if notice is None or expired or not self._dunning_acts_as_customer():
            raise request.not_found()
        notice = self._dunning_in_customer_lang(notice)
        try:
            with request.env.cr.savepoint():
                message = action(notice)
        except (UserError, ValidationError) as error:
            return self._dunning_render(notice, access_token, error=error.args[0], status=400)
        return request.redirect(self._dunning_url(notice, access_token, message=message))

    @http.route("/my/dunning/<int:notice_id>/dispute", type="http", auth="public", methods=["POST"], website=True)
    def portal_dunning_dispute(self, notice_id, access_token=None, move_id=None, reason=None, attachment=None, **kw):
        def dispute(notice):
            if not (move_id or "").isdigit():
                raise UserError(notice.env._("Choose the invoice you dispute."))
            upload = None
            if attachment and getattr(attachment, "filename", None):
                upload = (attachment.filename, attachment.read())
            notice._portal_dispute(int(move_id), reason, upload)
            return "disputed"

        return self._dunning_post(notice_id, access_token, dispute)

    @http.route("/my/dunning/<int:notice_id>/promise", type="http", auth="public", methods=["POST"], website=True)
    def portal_dunning_promise(self, notice_id, access_token=None, date_promised=None, amount=None, note=None, **kw):
        def promise(notice):
            try:
                day = fields.Date.to_date(date_promised)
                value = float(amount) if amount not in (None, "") else None
            except ValueError as error:
                raise UserError(notice.env._("Give the date as on the calendar and the amount as a number.")) from error
            if not day:
                raise UserError(notice.env._("Give the date by which you will pay."))
            notice._portal_promise(day, value, note)
            return "promised"

        return self._dunning_post(notice_id, access_token, promise)

    @http.route(
        "/my/dunning/<int:notice_id>/transaction/<int:currency_id>", type=JSON_ROUTE, auth="public", methods=["POST"]
    )
    def portal_dunning_transaction(self, notice_id, currency_id, access_token=None, **kwargs):
        """Pay All: one transaction for the open items of the notice in a currency, through Odoo's payment
        flow, for what the server finds due (never the amount the browser sends)."""
        notice, expired = self._dunning_notice_check(notice_id, access_token)
        if notice is None or expired or not self._dunning_acts_as_customer():
            raise ValidationError(request.env._("This link is not valid any more."))
        currency = request.env["res.currency"].browse(currency_id)
        invoices, amount = notice._get_portal_payable().get(currency, (None, 0.0))
        if not invoices or amount <= 0:
            raise ValidationError(request.env._("Nothing on this notice is left to pay in this currency."))
        kwargs.pop("payment_reference", None)  # the form's; the transaction's reference is the notice's
        self._validate_transaction_kwargs(kwargs)
        public = request.env.user._is_public()
        partner = notice.partner_id if public else request.env.user.partner_id
        providers = (
            request.env["payment.provider"]
            .sudo()
            ._get_compatible_providers(notice.company_id.id, partner.id, amount, currency_id=currency.id)
        )
        if int(kwargs.get("provider_id") or 0) not in providers.ids or (public and kwargs.get("flow") == "token"):
            raise ValidationError(request.env._("This payment method is not available for this notice."))
        kwargs.update(
            amount=amount,
            currency_id=currency.id,
            partner_id=partner.id,
            reference_prefix=notice.name,
            # the server's landing page; a visitor never saves a card on the customer nor only validates one
            landing_route=self._dunning_url(notice, access_token, message="paid"),
            tokenization_requested=bool(kwargs.get("tokenization_requested")) and not public,
            is_validation=False,
        )
        transaction = self._create_transaction(
            custom_create_values={"invoice_ids": [Command.set(invoices.ids)], "dunning_notice_id": notice.id},
            **kwargs,
        )
        return transaction._get_processing_values()
