"""What differs between Odoo 18.0 and 19.0, in one place (STYLE section 9: one tree, two series).

The rest of the addon, its tests and its data are written once against what is here. Each difference is
detected from the Odoo that runs (a method or a field that exists or not), not from a version number,
so that a series in between (18.x) or after takes the branch of what it actually has. When 18.0 is no
longer supported, each entry collapses to its 19.0 branch and its callers can use Odoo's API directly.
"""

import inspect
import os
from contextlib import contextmanager
from unittest.mock import patch

import odoo
from odoo import Command, http, models
from odoo.tools import config, translate

from odoo.addons.base.models import ir_actions_report, ir_qweb


class _SqlConstraint:
    """18.0 has no ``models.Constraint``: declared the same way, it adds itself to the model's
    ``_sql_constraints`` (``(name, definition, message)``), named as 19.0 names it (the attribute's name
    without its underscore, so that the database constraint ``<table>_<name>`` and its translations,
    ``constraint_<table>_<name>``, are the same on both series)."""

    def __init__(self, definition, message=""):
        self.definition = definition
        self.message = message

    def __set_name__(self, owner, name):
        # a list of the class's own: never append to the one it inherits (BaseModel's, shared by all)
        own = owner.__dict__.get("_sql_constraints", [])
        owner._sql_constraints = [*own, (name[1:], self.definition, self.message)]


# SQL table constraints: ``_name = Constraint("CHECK(...)", "message")`` in the model's class. 19.0 (from
# 18.1) declares them so and ignores ``_sql_constraints``, warning that they are "no longer supported".
Constraint = getattr(models, "Constraint", _SqlConstraint)

# The type of a JSON-RPC route (a payment form's transaction route): "json" on 18.0, "jsonrpc" on 19.0.
JSON_ROUTE = http.JsonRPCDispatcher.routing_type

# The error QWeb raises for what fails inside a template: QWebException on 18.0, QWebError on 19.0.
QWebError = getattr(ir_qweb, "QWebError", None) or ir_qweb.QWebException


def groups_field(model):
    """The groups of a user, an action, a menu or a view: ``groups_id`` on 18.0, ``group_ids`` on 19.0."""
    return "group_ids" if "group_ids" in model._fields else "groups_id"


def add_groups(records, groups):
    """Give ``records`` (users, actions...) ``groups`` besides those they have."""
    records.write({groups_field(records): [Command.link(group.id) for group in groups]})


def group_users(group):
    """The users of a group, those of the groups implying it included: ``users`` on 18.0 (which writes the
    implied groups on the users), ``all_user_ids`` on 19.0 (``user_ids`` are its direct members only)."""
    return group["all_user_ids"] if "all_user_ids" in group._fields else group["users"]


def server_wide_modules():
    """The modules the server loads server-wide (``--load``): ``odoo.conf.server_wide_modules`` on 18.0;
    19.0 has no ``odoo.conf``, its configuration holds them (a list)."""
    conf = getattr(odoo, "conf", None)
    return conf.server_wide_modules if conf is not None else config["server_wide_modules"]


def patch_server_wide_modules(modules):
    """For tests: a patcher (``unittest.mock``) that makes ``modules`` the server-wide modules."""
    conf = getattr(odoo, "conf", None)
    if conf is not None:
        return patch.object(conf, "server_wide_modules", list(modules))
    return patch.dict(config.options, {"server_wide_modules": list(modules)})


def export_translations(env, modules, buffer, lang=False, file_format="po"):
    """Odoo's export of the modules' terms (``trans_export``) into ``buffer``: it takes the cursor on 18.0,
    the environment on 19.0."""
    params = inspect.signature(translate.trans_export).parameters
    translate.trans_export(lang, modules, buffer, file_format, env if "env" in params else env.cr)


def resend_failed_emails(message):
    """Send again the emails of ``message`` whose sending failed (not those that bounced), as the series'
    chatter does. 18.0: its resend wizard (``mail.resend.message``, the envelope icon of the message),
    which emails the failed recipients again, a new email of the same message. 19.0 has no such wizard:
    the failed email is kept, and retried (``mail.mail.action_retry``, its *Retry* button), its
    notifications ready to send again. sudo: the message is on the customer, whose notifications only
    mail's own flows may write."""
    env = message.env
    if "mail.resend.message" in env:
        wizard = (
            env["mail.resend.message"]
            .sudo()
            .with_context(mail_message_to_resend=message.id, mail_notify_force_send=False)
            .create({})
        )
        failed_lines = wizard.partner_ids.filtered(lambda line: line.notification_id.notification_status == "exception")
        failed_lines.action_resend()
        return
    failed = message.sudo().notification_ids.filtered(
        lambda notif: notif.notification_type == "email" and notif.notification_status == "exception"
    )
    failed.mail_mail_id.action_retry()
    failed.write({"notification_status": "ready", "failure_type": False, "failure_reason": False})


@contextmanager
def wkhtmltopdf_first_on_path(folder):
    """For tests: the ``wkhtmltopdf`` of ``folder`` first on the PATH, Odoo's reports included. 18.0 looks
    the binary up at each call; 19.0 once (``_wkhtml``, cached), whose cache is emptied on the way in and
    out, so that it finds this one, then the usual one again."""
    cached = getattr(ir_actions_report, "_wkhtml", None)
    with patch.dict(os.environ, {"PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}):
        if cached:
            cached.cache_clear()
        try:
            yield
        finally:
            if cached:
                cached.cache_clear()


def web_read_group(model, domain, groupby, aggregates):
    """The grouped read of the web client (pivot, graph, grouped lists): dicts keyed by the groupby and
    aggregate specs, a date's group by its label ("June 2026"). 19.0's ``formatted_read_group`` (whose
    date groups are (value, label)); 18.0's ``read_group`` (lazy=False), deprecated by 19.0, which keys
    the aggregates by their field."""
    if hasattr(model, "formatted_read_group"):
        groups = model.formatted_read_group(domain, groupby, aggregates)
        dates = [spec for spec in groupby if ":" in spec]
        return [{**group, **{spec: group[spec] and group[spec][1] for spec in dates}} for group in groups]
    groups = model.read_group(domain, list(aggregates), list(groupby), lazy=False)
    return [{**group, **{spec: group[spec.split(":")[0]] for spec in aggregates}} for group in groups]


def partner_mobile(partner):
    """The mobile number of a partner (or user): 19.0 removed the field (one ``phone`` remains)."""
    return partner["mobile"] if "mobile" in partner._fields else False


def cron_progress(env, done, remaining):
    """Tell the running cron how many records this call processed and how many remain (it calls again
    while some remain). 19.0's ``_commit_progress`` (18.3) commits at once, and outside a cron commits
    only: called outside one (a test, a call from code), nothing is done, as 18.0's
    ``_notify_progress``, deprecated by 19.0, does nothing there."""
    cron = env["ir.cron"]
    if not hasattr(cron, "_commit_progress"):
        cron._notify_progress(done=done, remaining=remaining)
    elif env.context.get("ir_cron_progress_id"):
        cron._commit_progress(done, remaining=remaining)


def message_record_name(env, name):
    """The ``message_post`` argument naming the record in the notification (the notice, not the customer
    the message is posted on): 18.0 stores ``record_name`` on the message; 19.0 computes it from the
    record and takes ``force_record_name`` for the email's rendering."""
    if env["mail.message"]._fields["record_name"].store:
        return {"record_name": name}
    return {"force_record_name": name}
