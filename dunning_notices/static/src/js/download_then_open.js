/** @odoo-module **/
// The letters a run printed at once: their PDF downloads, then the run's notices open. Odoo's report
// action ends with the download (or closes the dialog), so a run that emails some customers and prints
// others needs both in a row, as Send & Print gives the user what is to be printed.
import { registry } from "@web/core/registry";

async function downloadThenOpen(env, action) {
    const { report, next } = action.params || {};
    if (report) {
        await env.services.action.doAction(report);
    }
    return next;
}

registry.category("actions").add("dunning_notices.download_then_open", downloadThenOpen);
