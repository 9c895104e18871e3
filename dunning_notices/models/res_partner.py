from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    dunning_notice_count = fields.Integer(
        compute="_compute_dunning_notice_count", groups="account.group_account_invoice,account.group_account_readonly"
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
        return action

    def action_open_dunning_notice_send(self):
        """Send dunning notices to the selected customers (list action)."""
        action = self.env["ir.actions.actions"]._for_xml_id("dunning_notices.dunning_notice_send_action")
        action["context"] = {"dialog_size": "extra-large", "default_partner_ids": self.commercial_partner_id.ids}
        return action
