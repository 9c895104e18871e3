# The customer's page of a notice (/my/dunning/<id>): Odoo's portal mixin gives the notice its signed link;
# the page shows what is due now, pays it all, disputes an item or promises a date. The controller is thin:
# what the page may do is decided here.
# pylint: disable=consider-merging-classes-inherited
import base64
import io
import math
import uuid
from datetime import timedelta

import qrcode

from odoo import Command, api, fields, models, tools
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL
from odoo.tools.mimetypes import guess_mimetype

from .account_move import DISPUTABLE_MOVE_TYPES

DISPUTE_REASON_MAX = 500  # characters of a dispute's reason or a promise's note typed on the page
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENT_MIMETYPES = ("application/pdf", "image/png", "image/jpeg")


class DunningNotice(models.Model):
    _name = "dunning.notice"
    _inherit = ["dunning.notice", "portal.mixin"]

    # the day the link was issued: the page opens with it for the company's dunning_portal_link_days
    access_token_date = fields.Date(string="Link Issued On", readonly=True, copy=False)
    portal_first_view = fields.Datetime(string="First Viewed", readonly=True, copy=False)
    portal_last_view = fields.Datetime(string="Last Viewed", readonly=True, copy=False)
    portal_viewed = fields.Boolean(string="Viewed", compute="_compute_portal_viewed")
    promise_ids = fields.One2many("dunning.promise", "notice_id", string="Payment Promises", readonly=True)

    @api.depends("portal_first_view")
    def _compute_portal_viewed(self):
        for notice in self:
            notice.portal_viewed = bool(notice.portal_first_view)

    def _compute_access_url(self):
        for notice in self:
            notice.access_url = f"/my/dunning/{notice.id}"

    @api.model_create_multi
    def create(self, vals_list):
        # the link is in the email and the letter: each notice has its token from the start, written with
        # it (a write per notice at sending would cost the queue a query each)
        today = fields.Date.context_today(self)
        for vals in vals_list:
            if not vals.get("access_token"):
                vals.update(access_token=str(uuid.uuid4()), access_token_date=today)
        return super().create(vals_list)

    def _portal_ensure_token(self):
        # EXTENDS portal.mixin: a token made later (a notice older than the page) is dated too
        if not self.access_token:
            self.sudo().write({"access_token": str(uuid.uuid4()), "access_token_date": fields.Date.context_today(self)})
        return self.access_token

    def _write_state(self, vals):
        # the link lasts from the day the notice is sent
        if vals.get("state") == "done":
            vals = {**vals, "access_token_date": vals.get("date_sent") or fields.Date.context_today(self)}
        return super()._write_state(vals)

    @api.model
    def _get_thread_with_access(self, thread_id, *args, **kwargs):
        # EXTENDS portal: the notice's link opens its page only, where the customer pays, disputes or
        # promises; never its chatter (read, post, upload) by the token or a signed hash, which the mixin
        # would otherwise grant, without expiry, to whoever holds the letter
        thread = super()._get_thread_with_access(thread_id, *args, **kwargs)
        if thread and thread.env.su and not self.env.su:
            return self.browse()
        return thread

    def _get_portal_link(self):
        """The full link of the notice's page, signed with its token: in its email and its letter."""
        self.ensure_one()
        return self.get_base_url() + self.get_portal_url()

    def _get_portal_qr_code(self):
        """The data URI of a QR code of the page's link, for the letter: made with ``qrcode`` (Odoo's
        own requirement), whose PNG is the same at each rendering, unlike reportlab's barcode (a letter
        rendered again is the letter stored)."""
        self.ensure_one()
        stream = io.BytesIO()
        qrcode.make(self._get_portal_link(), box_size=4, border=1).save(stream, format="PNG")
        return "data:image/png;base64," + base64.b64encode(stream.getvalue()).decode()

    def _portal_link_expired(self):
        self.ensure_one()
        start = self.access_token_date or self.date_sent
        days = self.company_id.dunning_portal_link_days
        return bool(start) and start + timedelta(days=days) < fields.Date.context_today(self)

    def _portal_mark_viewed(self):
        """The customer opened the page (never counted for internal users). sudo: the visitor may not
        write the notice."""
        now = fields.Datetime.now()
        for notice in self.sudo():
            notice.write({"portal_first_view": notice.portal_first_view or now, "portal_last_view": now})

    # -------------------------------------------------------------------------
    # WHAT IS DUE NOW
    # -------------------------------------------------------------------------

    def _get_portal_items(self):
        """The notice's items as they are now, for its page: [{line, move, currency, due_now, status,
        promise}]; status one of open, partial, paid, in_payment (a payment on its way, an online one
        pending), on_hold (Odoo's payment block), disputed, promised, credit."""
        self.ensure_one()
        notice = self.sudo()
        open_promises = (
            self.env["dunning.promise"]
            .sudo()
            .search([("partner_id", "=", notice.partner_id.commercial_partner_id.id), ("state", "=", "open")])
        )
        promise_of = {line: promise for promise in open_promises for line in promise.move_line_ids}
        items = []
        pending = notice.line_ids.move_id.transaction_ids.filtered(lambda tx: tx.state in ("pending", "authorized"))
        for line in notice.line_ids:
            item, move = line.move_line_id, line.move_id
            if item:
                due = 0.0 if item.reconciled else item.amount_residual_currency
            else:  # the invoice was reset to draft and posted again: its own residual
                due = (
                    move.amount_residual * (-1 if line.line_type == "credit" else 1) if move.state == "posted" else 0.0
                )
            currency = line.currency_id
            if line.line_type == "credit":
                status = "credit"
            elif currency.is_zero(due):
                status = "paid"
            elif move.dunning_blocked:
                status = "disputed"
            elif move.payment_state == "in_payment" or move in pending.invoice_ids:
                status = "in_payment"
            elif move.payment_state == "blocked":
                status = "on_hold"
            elif item and item in promise_of:
                status = "promised"
            elif currency.compare_amounts(due, line.amount_residual) < 0:
                status = "partial"
            else:
                status = "open"
            items.append(
                {
                    "line": line,
                    "move": line.move_id,
                    "currency": currency,
                    "due_now": due,
                    "status": status,
                    "promise": promise_of.get(item) if item else None,
                    "can_dispute": status in ("open", "partial", "promised")
                    and line.move_id.move_type in DISPUTABLE_MOVE_TYPES,
                }
            )
        return items

    def _get_portal_credits(self, items=None):
        """{currency: open credits (negative)} the page deducts from what is due: those of a notice that
        deducts its credits (``credit_handling`` net), as its letter did."""
        self.ensure_one()
        if self.credit_handling != "net":
            return {}
        items = items if items is not None else self._get_portal_items()
        deducted = {}
        for item in items:
            if item["status"] == "credit" and item["due_now"] < 0:
                deducted[item["currency"]] = deducted.get(item["currency"], 0.0) + item["due_now"]
        return deducted

    def _get_portal_payable(self, items=None):
        """{currency: (invoices, amount)} of what the page's Pay All pays: the open items of the notice
        (promised ones too; not disputed nor in payment) and its charge invoice, per currency, less the
        open credits the notice deducts (the accountant matches them; nothing left: no payment)."""
        self.ensure_one()
        items = items if items is not None else self._get_portal_items()
        payable = {}
        for item in items:
            if item["status"] in ("open", "partial", "promised"):
                moves, amount = payable.get(item["currency"], (self.env["account.move"], 0.0))
                payable[item["currency"]] = (moves | item["move"], amount + item["due_now"])
        # the credits deducted are paid with the invoices: the payment reconciles them together
        credit_moves = {}
        for item in items:
            if item["status"] == "credit" and item["due_now"] < 0:
                credit_moves[item["currency"]] = (
                    credit_moves.get(item["currency"], self.env["account.move"]) | item["move"]
                )
        for currency, credit in self._get_portal_credits(items).items():
            if currency in payable:
                moves, amount = payable[currency]
                payable[currency] = (moves | credit_moves[currency], amount + credit)
        charge = self.sudo().charge_move_id
        if charge and charge.state == "posted" and charge.payment_state in ("not_paid", "partial"):
            moves, amount = payable.get(charge.currency_id, (self.env["account.move"], 0.0))
            payable[charge.currency_id] = (moves | charge, amount + charge.amount_residual)
        return {
            currency: (moves, currency.round(amount))
            for currency, (moves, amount) in payable.items()
            if currency.compare_amounts(amount, 0) > 0
        }

    def _get_portal_payment_qr_code(self, payable):
        """The notice's EPC QR code on its page, only while it asks for what is due now in EUR (after a
        payment or a dispute, scanning the letter's code would pay too much)."""
        self.ensure_one()
        args = self._get_payment_qr_args()
        eur = self.env.ref("base.EUR")
        if not args or eur not in payable or eur.compare_amounts(args[1], payable[eur][1]):
            return False
        return self._get_payment_qr_code()

    def _portal_lock(self):
        """One answer of the customer at a time per notice: a second click waits for the first, then finds
        the invoice disputed or the items promised."""
        self.env.cr.execute(SQL("SELECT 1 FROM dunning_notice WHERE id = %s FOR NO KEY UPDATE", self.id))

    def _get_portal_collector(self):
        """Who is told of what the customer did: the notice's sender, else the company's default sender."""
        self.ensure_one()
        user = self.sudo().sender_user_id or self.sudo().company_id.dunning_sender_user_id
        return user if user and not user.share and user.active else self.env["res.users"]

    def _get_portal_bank_account(self):
        self.ensure_one()
        return self.sudo().company_id.partner_id.bank_ids[:1]

    # -------------------------------------------------------------------------
    # WHAT THE CUSTOMER DOES ON THE PAGE (as the server: the visitor may not write; checked here)
    # -------------------------------------------------------------------------

    def _portal_dispute(self, move_id, reason, attachment=None):
        """The customer disputes one invoice of the notice: disputed as the Dispute button does, with the
        reason (and the customer's file) in the invoice's chatter and an activity for the sender.
        ``attachment``: (file name, content) or None."""
        self.ensure_one()
        self._portal_lock()
        reason = (reason or "").strip()
        if not reason:
            raise UserError(self.env._("Tell us why you dispute this invoice."))
        if len(reason) > DISPUTE_REASON_MAX:
            raise UserError(self.env._("Please keep the reason under %(max)s characters.", max=DISPUTE_REASON_MAX))
        item = next(
            (i for i in self._get_portal_items() if i["move"].id == move_id and i["can_dispute"]),
            None,
        )
        if not item:
            raise UserError(self.env._("This invoice cannot be disputed from this notice any more."))
        move = item["move"].sudo()
        attachments = self.env["ir.attachment"]
        if attachment:
            name, content = attachment
            if len(content) > ATTACHMENT_MAX_BYTES:
                raise UserError(self.env._("The file is too large: 10 MB at most."))
            mimetype = guess_mimetype(content)
            if mimetype not in ATTACHMENT_MIMETYPES:
                raise UserError(self.env._("Attach a PDF, PNG or JPEG file."))
            attachments = (
                self.env["ir.attachment"]
                .sudo()
                .create(
                    {
                        "name": (name or "dispute")[:100],
                        "raw": content,
                        "mimetype": mimetype,
                        "res_model": "account.move",
                        "res_id": move.id,
                    }
                )
            )
        notice = self.sudo()
        text = self.env._("%(reason)s (the customer, from notice %(notice)s)", reason=reason, notice=notice.name)
        move._set_dunning_blocked(True, text, attachments=attachments, author=notice.partner_id)
        move.dunning_dispute_notice_id = notice
        if collector := self._get_portal_collector():
            move.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=collector.id,
                summary=self.with_context(lang=collector.lang).env._("Invoice disputed by the customer"),
                note=text,
            )
        return move

    def _portal_promise(self, date_promised, amount=None, note=None):
        """The customer promises to pay the notice's open items (those not disputed nor promised yet) by
        ``date_promised``, optionally only ``amount``: a ``dunning.promise`` of source customer."""
        self.ensure_one()
        self._portal_lock()
        note = (note or "").strip()
        if len(note) > DISPUTE_REASON_MAX:
            raise UserError(self.env._("Please keep the note under %(max)s characters.", max=DISPUTE_REASON_MAX))
        items = [i for i in self._get_portal_items() if i["status"] in ("open", "partial") and i["line"].move_line_id]
        if not items:
            raise UserError(self.env._("Nothing on this notice is left to promise."))
        notice = self.sudo()
        currency = notice.currency_id
        # plain comparisons first: a float of any size (1e308) never reaches the rounding of compare_amounts
        if amount is not None and (not math.isfinite(amount) or amount < currency.rounding / 2):
            raise ValidationError(self.env._("A promised amount must be positive."))
        due = sum(item["line"].move_line_id.amount_residual for item in items)
        if amount is not None and amount - due > currency.rounding / 2:
            raise ValidationError(
                self.env._(
                    "You promise more than is due: %(due)s at most.", due=tools.format_amount(self.env, due, currency)
                )
            )
        promise = (
            self.env["dunning.promise"]
            .sudo()
            .with_company(notice.company_id)
            .create(
                {
                    "partner_id": notice.partner_id.commercial_partner_id.id,
                    "company_id": notice.company_id.id,
                    "move_line_ids": [Command.set([i["line"].move_line_id.id for i in items])],
                    "date_promised": date_promised,
                    "amount": amount or 0.0,
                    "note": note,
                    "source": "customer",
                    "notice_id": notice.id,
                    "user_id": self._get_portal_collector().id,
                }
            )
        )
        notice._get_notice_thread().message_post(
            body=self.env._(
                "The customer promised to pay %(amount)s by %(date)s.",
                amount=promise._format_amount(),
                date=tools.format_date(self.env, promise.date_promised),
            ),
            subtype_xmlid="mail.mt_note",
            author_id=notice.partner_id.id,
        )
        return promise


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    # the notice whose page's Pay All made the transaction
    dunning_notice_id = fields.Many2one("dunning.notice", readonly=True, index="btree_not_null")
