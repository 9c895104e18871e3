from markupsafe import Markup

from odoo import Command, fields, models
from odoo.exceptions import AccessError

# the customer's dunning hold: set by billing users, who may have no right to edit customers otherwise
DUNNING_HOLD_FIELDS = frozenset({"dunning_hold", "dunning_hold_reason", "dunning_hold_until"})
# what the customer's chatter, which every company sharing the customer reads, traces of a hold: not its
# reason, which stays with the company that wrote it
DUNNING_HOLD_TRACKED = ("dunning_hold", "dunning_hold_until")


class ResPartner(models.Model):
    _inherit = "res.partner"

    dunning_notice_count = fields.Integer(
        compute="_compute_dunning_notice_count", groups="account.group_account_invoice,account.group_account_readonly"
    )
    dunning_promise_count = fields.Integer(
        compute="_compute_dunning_promise_count",
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    # Read on the commercial partner (its journal items carry it): the Invoicing tab shows them there only.
    # Per company (a customer shared by two companies is held by each on its own): read in the level's
    # company by the selection, in the current company on the form.
    dunning_hold = fields.Boolean(
        company_dependent=True,
        copy=False,
        groups="account.group_account_invoice,account.group_account_readonly",
        help="Leave this customer out of this company's dunning runs, until the date given or until the hold is "
        "lifted. Each company holds its customers on its own.",
    )
    dunning_hold_reason = fields.Char(
        string="Hold Reason",
        company_dependent=True,
        copy=False,
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    dunning_hold_until = fields.Date(
        string="Hold Until",
        company_dependent=True,
        copy=False,
        groups="account.group_account_invoice,account.group_account_readonly",
        help="Last day of the hold (included); empty: until the hold is lifted.",
    )

    def write(self, vals):
        """The dunning hold is the billing users', who may not edit customers otherwise: written as the
        server once their group and read access are checked, in the current company (one the user may
        use), and traced on the customer's chatter with that company's name."""
        if not vals or not set(vals) & DUNNING_HOLD_FIELDS:
            return super().write(vals)
        company = self.env.company  # AccessError for a company the user may not use
        if not self.env.su and not self.env.user.has_group("account.group_account_invoice"):
            raise AccessError(self.env._("Only billing users can put a customer on dunning hold."))
        track = not (self.env.context.get("tracking_disable") or self.env.context.get("mail_notrack"))
        before = {partner.id: partner._dunning_hold_tracked() for partner in self.sudo()} if track else {}
        if not self.env.su and set(vals) <= DUNNING_HOLD_FIELDS:
            self.check_access("read")
            result = super(ResPartner, self.sudo()).write(vals)
        else:
            result = super().write(vals)
        if track:
            self.sudo()._log_dunning_hold(before, company)
        return result

    def _dunning_hold_tracked(self):
        self.ensure_one()
        return tuple(self[name] for name in DUNNING_HOLD_TRACKED)

    def _log_dunning_hold(self, before, company):
        """Log the hold changes of ``company`` (``before``: {partner id: values of DUNNING_HOLD_TRACKED})
        on each customer's chatter, as Odoo's tracking would, with the company named in the body."""
        tracked = self.fields_get(DUNNING_HOLD_TRACKED, attributes=("string", "type", "selection", "currency_field"))
        trackings = self.env["mail.tracking.value"]
        for partner in self:
            after = partner._dunning_hold_tracked()
            changes = [
                (name, old, new)
                for name, old, new in zip(DUNNING_HOLD_TRACKED, before[partner.id], after, strict=True)
                if old != new
            ]
            if not changes:
                continue
            partner._message_log(
                body=Markup("<p>%s</p>") % self.env._("Dunning hold in %(company)s", company=company.name),
                tracking_value_ids=[
                    Command.create(trackings._create_tracking_values(old, new, name, tracked[name], partner))
                    for name, old, new in changes
                ],
            )

    def _compute_dunning_notice_count(self):
        counts = dict(
            self.env["dunning.notice"]._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.dunning_notice_count = counts.get(partner.commercial_partner_id, 0)

    def _get_dunning_recipients(self):
        """{customer: recipients} for the commercial partners in ``self``: their invoice-address contacts
        having an email, else the customer itself when it has one. One query for all the customers."""
        contacts = self.search_fetch(
            [("parent_id", "in", self.ids), ("type", "=", "invoice"), ("email", "!=", False)],
            ["parent_id", "email"],
        )
        by_parent = contacts.grouped("parent_id")
        return {partner: by_parent.get(partner) or partner.filtered("email") for partner in self}

    def action_view_dunning_notices(self):
        self.ensure_one()
        action = self.env["ir.actions.actions"]._for_xml_id("dunning_notices.dunning_notice_action")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"create": False, "search_default_partner_id": self.commercial_partner_id.id}
        # the history's list: what was collected after each notice
        history = self.env.ref("dunning_notices.dunning_notice_view_list_history")
        action["views"] = [(history.id, "list")] + [view for view in action["views"] if view[1] != "list"]
        return action

    def _compute_dunning_promise_count(self):
        groups = self.env["dunning.promise"]._read_group(
            [("partner_id", "in", self.commercial_partner_id.ids)], ["partner_id"], ["__count"]
        )
        counts = dict(groups)
        for partner in self:
            partner.dunning_promise_count = counts.get(partner.commercial_partner_id, 0)

    def action_view_dunning_promises(self):
        """The customer's payment promises; New takes one for its overdue items."""
        self.ensure_one()
        action = self.env["ir.actions.actions"]._for_xml_id("dunning_notices.dunning_promise_action")
        partner = self.commercial_partner_id
        action["domain"] = [("partner_id", "=", partner.id)]
        action["context"] = {"default_partner_id": partner.id}
        return action

    def action_open_dunning_notice_send(self):
        """Send dunning notices to the selected customers (list action)."""
        action = self.env["ir.actions.actions"]._for_xml_id("dunning_notices.dunning_notice_send_action")
        action["context"] = {"dialog_size": "extra-large", "default_partner_ids": self.commercial_partner_id.ids}
        return action
