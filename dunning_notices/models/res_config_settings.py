from odoo import api, fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    dunning_date_basis = fields.Selection(related="company_id.dunning_date_basis", readonly=False)
    dunning_attach_invoices = fields.Boolean(related="company_id.dunning_attach_invoices", readonly=False)
    dunning_sender_user_id = fields.Many2one(related="company_id.dunning_sender_user_id", readonly=False)
    dunning_min_interval_days = fields.Integer(related="company_id.dunning_min_interval_days", readonly=False)
    dunning_max_extra_emails = fields.Integer(related="company_id.dunning_max_extra_emails", readonly=False)
    dunning_portal_link_days = fields.Integer(related="company_id.dunning_portal_link_days", readonly=False)
    dunning_promise_max_days = fields.Integer(related="company_id.dunning_promise_max_days", readonly=False)
    dunning_level_count = fields.Integer(compute="_compute_dunning_level_count")

    @api.depends("company_id")
    def _compute_dunning_level_count(self):
        for settings in self:
            settings.dunning_level_count = self.env["dunning.level"].search_count(
                [("company_id", "=", settings.company_id.id)]
            )

    def action_open_dunning_levels(self):
        return self.env["ir.actions.actions"]._for_xml_id("dunning_notices.dunning_level_action")
