from lxml import html
from markupsafe import Markup

from odoo import api, models

_MARKER = "\x1edunning-notice:"


class MailTemplate(models.Model):
    _inherit = "mail.template"

    @api.model
    def _render_template_qweb(self, template_src, model, res_ids, add_context=None, options=None):
        # OVERRIDE: mail compiles a QWeb body once per record (tens of milliseconds each); a dunning run
        # renders one body for hundreds of notices, so compile it once and loop inside the template.
        if (
            model != "dunning.notice"
            or len(res_ids) < 2
            or not self._has_unsafe_expression_template_qweb(template_src, model)
        ):
            return super()._render_template_qweb(template_src, model, res_ids, add_context, options)
        variables = self._render_eval_context()
        variables.update(add_context or {})
        variables["dunning_records"] = self.env[model].browse(res_ids)
        variables["dunning_marker"] = lambda record: Markup(f"{_MARKER}{record.id}\x1e")
        options = dict(options or {})
        if not (
            self._unrestricted_rendering
            or self.env.is_admin()
            or self.env.user.has_group("mail.group_mail_template_editor")
        ):
            options["raise_on_forbidden_code_for_model"] = model
        wrapper = f'<t t-foreach="dunning_records" t-as="object"><t t-out="dunning_marker(object)"/>{template_src}</t>'
        try:
            rendered = self.env["ir.qweb"]._render(
                html.fragment_fromstring(wrapper, create_parent="div"), variables, **options
            )
        except Exception:  # noqa: BLE001
            # let mail render record by record: it reports which record fails, and why
            return super()._render_template_qweb(template_src, model, res_ids, add_context, options)
        results = {}
        for part in rendered[5:-6].split(_MARKER)[1:]:  # [5:-6]: the <div> wrapping the fragment
            record_id, body = part.split("\x1e", 1)
            results[int(record_id)] = body
        return results
