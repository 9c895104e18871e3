"""18.0.1.1.0: notices list open credits beside their overdue items (line_type). The shipped email templates
are noupdate (admins adapt their wording), so a database installed before keeps them: their table of
overdue invoices looped over all the notice's lines and would now list credits as overdue. Loop over the
overdue lines in every language of those templates, keeping any wording the admin changed; drop the
Reply-To they forced to the sender (Odoo routes replies to the catchall) and use the notice layout."""

from odoo import api
from odoo.tools import SQL

TEMPLATES = [f"dunning_notices.mail_template_dunning_level_{level}" for level in range(1, 5)]
OLD_REPLY_TO = "{{ object.sender_email_formatted or object.company_id.email_formatted }}"


def migrate(cr, version):
    env = api.Environment(cr, api.SUPERUSER_ID, {})
    ids = [template.id for xmlid in TEMPLATES if (template := env.ref(xmlid, raise_if_not_found=False))]
    if not ids:
        return
    env.flush_all()
    env.cr.execute(
        SQL(
            """
            UPDATE mail_template
               SET body_html = (SELECT jsonb_object_agg(
                                       key, replace(value, 't-foreach="object.line_ids"',
                                                    't-foreach="object._get_overdue_lines()"'))
                                  FROM jsonb_each_text(body_html)),
                   reply_to = CASE WHEN reply_to = %(old_reply_to)s THEN NULL ELSE reply_to END,
                   email_layout_xmlid = COALESCE(email_layout_xmlid, 'dunning_notices.mail_notification_dunning')
             WHERE id = ANY(%(ids)s) AND body_html IS NOT NULL
            """,
            old_reply_to=OLD_REPLY_TO,
            ids=ids,
        )
    )
    env.invalidate_all()
