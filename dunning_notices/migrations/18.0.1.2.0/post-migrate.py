"""18.0.1.2.0: the emails list each overdue item with its interest and recovery compensation and a "View and
pay" button, from the QWeb template ``dunning_notices.dunning_notice_email_items``, and show the charges
(``dunning_notice_email_charges``). The shipped email templates are noupdate (admins adapt their wording), so
a database installed before keeps its bodies: in every language of those templates, the table of overdue items
is replaced by the call of the new template, and the charges are called after it when the body does not call
them yet. Any other wording the admin changed is kept; a body whose table was removed is left alone."""

import re

from psycopg2.extras import Json

from odoo import api
from odoo.tools import SQL

TEMPLATES = [f"dunning_notices.mail_template_dunning_level_{level}" for level in range(1, 5)]
# the table of items: from its <table> to its </table>, with no other table opening in between (so that a
# layout table the admin wrapped the body in is not taken for it)
ITEMS_TABLE = re.compile(
    r"<table\b(?:(?!</table>|<table\b).)*?t-foreach=\"object\._get_overdue_lines\(\)\""
    r"(?:(?!</table>|<table\b).)*?</table>",
    re.DOTALL,
)
ITEMS_CALL = '<t t-call="dunning_notices.dunning_notice_email_items"/>'
CHARGES_CALL = '<t t-call="dunning_notices.dunning_notice_email_charges"/>'


def upgrade_body(body):
    """The body with the new calls, or ``body`` unchanged when it has no table of overdue items."""
    if ITEMS_CALL in body or not ITEMS_TABLE.search(body):
        return body
    call = ITEMS_CALL if CHARGES_CALL in body else ITEMS_CALL + CHARGES_CALL
    return ITEMS_TABLE.sub(lambda _match: call, body, count=1)


def migrate(cr, version):
    env = api.Environment(cr, api.SUPERUSER_ID, {})
    ids = [template.id for xmlid in TEMPLATES if (template := env.ref(xmlid, raise_if_not_found=False))]
    if not ids:
        return
    env.flush_all()
    rows = env.execute_query(
        SQL("SELECT id, body_html FROM mail_template WHERE id = ANY(%s) AND body_html IS NOT NULL", ids)
    )
    for template_id, bodies in rows:
        upgraded = {lang: upgrade_body(body) if body else body for lang, body in bodies.items()}
        if upgraded != bodies:
            env.cr.execute(SQL("UPDATE mail_template SET body_html = %s WHERE id = %s", Json(upgraded), template_id))
    env.invalidate_all()
