from odoo import api, fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

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

    @api.depends("dunning_line_ids.notice_id.state")
    def _compute_dunning_info(self):
        # Only notices that were actually delivered count; one grouped query for all the invoices.
        groups = self.env["dunning.notice.line"]._read_group(
            [("move_id", "in", self.ids), ("notice_id.state", "=", "done"), ("line_type", "=", "overdue")],
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
            move.last_dunning_date = notice.create_date.date() if notice else False

    def action_view_dunning_notices(self):
        self.ensure_one()
        action = self.env["ir.actions.actions"]._for_xml_id("dunning_notices.dunning_notice_action")
        action["domain"] = [
            ("line_ids", "any", [("move_id", "=", self.id), ("line_type", "=", "overdue")]),
            ("state", "=", "done"),
        ]
        action["context"] = {"create": False}
        return action
