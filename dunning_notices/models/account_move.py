from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools.misc import hmac

from .dunning_common import delivered_domain

DISPUTABLE_MOVE_TYPES = ("out_invoice", "out_receipt")
PAY_LINK_SCOPE = "dunning_notices.pay"  # the HMAC scope of the notices' pay links


class AccountMove(models.Model):
    _inherit = "account.move"

    # Durable, unlike Odoo's payment block (payment_state 'blocked', recomputed away by a later payment):
    # set and cleared by the Dispute / Resolve Dispute buttons only. The selection honours both.
    dunning_blocked = fields.Boolean(
        string="Disputed",
        readonly=True,
        copy=False,
        tracking=True,  # a trace in the chatter also when written other than through the Dispute buttons
        help="The customer disputes this invoice: dunning notices leave it out until the dispute is resolved.",
    )
    dunning_block_reason = fields.Char(string="Dispute Reason", readonly=True, copy=False)
    # the notice from whose page the customer disputed the invoice (the effectiveness analysis counts them)
    dunning_dispute_notice_id = fields.Many2one(
        "dunning.notice", string="Disputed from Notice", readonly=True, copy=False, index="btree_not_null"
    )
    # the notice whose interest and fees this invoice charges: it never earns interest nor fees itself
    dunning_charge_notice_id = fields.Many2one(
        "dunning.notice", string="Charges of Notice", readonly=True, copy=False, index="btree_not_null"
    )

    dunning_line_ids = fields.One2many(
        "dunning.notice.line",
        "move_id",
        string="Dunning Notice Items",
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_count = fields.Integer(
        string="Dunning Notice Count",
        compute="_compute_dunning_info",
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    last_dunning_level_id = fields.Many2one(
        "dunning.level",
        compute="_compute_dunning_info",
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    last_dunning_date = fields.Date(
        string="Last Dunning",
        compute="_compute_dunning_info",
        groups="account.group_account_invoice,account.group_account_readonly",
    )

    @api.depends("dunning_line_ids.notice_id.state", "dunning_line_ids.notice_id.delivery_state")
    def _compute_dunning_info(self):
        # Only notices that were delivered count; one grouped query for all the invoices.
        groups = self.env["dunning.notice.line"]._read_group(
            [("move_id", "in", self.ids), *delivered_domain("notice_id."), ("line_type", "=", "overdue")],
            ["move_id"],
            ["notice_id:count_distinct", "id:max"],
        )
        info = {move: (count, last_line_id) for move, count, last_line_id in groups}
        last_lines = self.env["dunning.notice.line"].browse(line_id for _count, line_id in info.values())
        last_notice = {line.move_id: line.notice_id for line in last_lines}
        for move in self:
            notice = last_notice.get(move)
            move.dunning_count = info.get(move, (0, 0))[0]
            move.last_dunning_level_id = notice.level_id if notice else False
            move.last_dunning_date = (notice.date_sent or notice.create_date.date()) if notice else False

    @api.constrains("dunning_blocked", "dunning_block_reason")
    def _check_dunning_block_reason(self):
        # a dispute drops the invoice from every notice: never silently, whoever writes it
        if missing := self.filtered(
            lambda move: move.dunning_blocked and not (move.dunning_block_reason or "").strip()
        ):
            raise ValidationError(
                self.env._(
                    "%(moves)s: a disputed invoice needs the reason of the dispute.",
                    moves=", ".join(missing.mapped("display_name")),
                )
            )

    # -------------------------------------------------------------------------
    # DISPUTES
    # -------------------------------------------------------------------------

    def action_dunning_dispute(self):
        """Ask for the reason of the dispute (the Dispute button)."""
        return self._dunning_dispute_wizard("dispute")

    def action_dunning_resolve_dispute(self):
        """Ask how the dispute was resolved (the Resolve Dispute button)."""
        return self._dunning_dispute_wizard("resolve")

    def _dunning_dispute_wizard(self, mode):
        self._check_can_dispute()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Dispute") if mode == "dispute" else self.env._("Resolve Dispute"),
            "res_model": "dunning.dispute",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_move_ids": self.ids, "default_mode": mode},
        }

    def _check_can_dispute(self):
        """Disputes are the billing users': posted customer invoices they may edit."""
        if not self.env.su and not self.env.user.has_group("account.group_account_invoice"):
            raise AccessError(self.env._("Only billing users can dispute an invoice."))
        self.check_access("write")
        wrong = self.filtered(lambda move: move.state != "posted" or move.move_type not in DISPUTABLE_MOVE_TYPES)
        if wrong:
            raise UserError(
                self.env._(
                    "Only posted customer invoices can be disputed: %(moves)s.",
                    moves=", ".join(wrong.mapped("display_name")),
                )
            )

    def _dunning_set_dispute(self, reason):
        """Leave the invoices out of dunning notices until the dispute is resolved; a note each."""
        self._set_dunning_blocked(True, reason)

    def _dunning_resolve_dispute(self, reason):
        """Dun the invoices again; a note each with how the dispute was resolved."""
        self._set_dunning_blocked(False, reason)

    def _set_dunning_blocked(self, blocked, reason, attachments=None, author=None):
        """``attachments``: files posted with the note (the customer's, from the notice's page);
        ``author``: the note's author (the customer there), else the current user."""
        self._check_can_dispute()
        reason = (reason or "").strip()
        if not reason:
            raise UserError(
                self.env._(
                    "%(moves)s: give the reason of the dispute or of its resolution.",
                    moves=", ".join(self.mapped("display_name")),
                )
            )
        self.write({"dunning_blocked": blocked, "dunning_block_reason": reason if blocked else False})
        for move in self:
            if blocked:
                body = self.env._("Disputed, left out of dunning notices: %(reason)s", reason=reason)
            else:
                body = self.env._("Dispute resolved, dunned again: %(reason)s", reason=reason)
            move.message_post(
                body=body,
                subtype_xmlid="mail.mt_note",
                attachment_ids=attachments.ids if attachments else [],
                author_id=author.id if author else None,
            )

    def action_view_dunning_notices(self):
        self.ensure_one()
        action = self.env["ir.actions.actions"]._for_xml_id("dunning_notices.dunning_notice_action")
        action["domain"] = [
            ("line_ids", "any", [("move_id", "=", self.id), ("line_type", "=", "overdue")]),
            ("state", "=", "done"),
        ]
        action["context"] = {"create": False}
        return action

    # -------------------------------------------------------------------------
    # Pay links of the notices
    # -------------------------------------------------------------------------

    def _has_dunning_pay_link(self):
        """Whether a notice links to this invoice's portal page: a posted customer invoice."""
        self.ensure_one()
        return self.move_type in DISPUTABLE_MOVE_TYPES and self.state == "posted"

    def _get_dunning_pay_token(self):
        """The pay link's token: an HMAC of the invoice with the database secret, built without an HTTP
        request (the queue and the crons have none) and without writing on the invoice."""
        self.ensure_one()
        return hmac(self.env(su=True), PAY_LINK_SCOPE, self.id)

    def _get_dunning_pay_url(self):
        """The link of a notice to pay this invoice online, or False. It leads to the invoice's portal
        page (the amount due now, "Pay Now" when online payment is on) through ``/dunning/pay``, which
        gives the invoice its portal token at the first click: writing one on every invoice of a run of
        thousands of notices would cost the queue a write per invoice."""
        self.ensure_one()
        if not self._has_dunning_pay_link():
            return False
        return f"{self.get_base_url()}/dunning/pay/{self.id}?access_token={self._get_dunning_pay_token()}"
