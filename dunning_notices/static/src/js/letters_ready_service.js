/** @odoo-module **/
// The letters a run left to the background are ready (dunning.run's _notify_letters_ready): the run's user
// gets a notification in the open web client with the buttons to download them and to open the run, as a
// print in the request would have downloaded them at once.
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";

export const lettersReadyService = {
    dependencies: ["action", "bus_service", "notification", "orm"],
    start(env, { action, bus_service, notification, orm }) {
        bus_service.subscribe("dunning_notices/letters_ready", (payload) => showLettersReady(payload));

        function showLettersReady({ run_id, title, message }) {
            const close = notification.add(message, {
                title,
                type: "success",
                sticky: true,
                buttons: [
                    {
                        name: _t("Download Letters"),
                        primary: true,
                        onClick: async () => {
                            close();
                            const report = await orm.call("dunning.run", "action_download_letters", [[run_id]]);
                            await action.doAction(report);
                        },
                    },
                    {
                        name: _t("Open Run"),
                        onClick: () => {
                            close();
                            action.doAction({
                                type: "ir.actions.act_window",
                                res_model: "dunning.run",
                                res_id: run_id,
                                views: [[false, "form"]],
                            });
                        },
                    },
                ],
            });
        }
        return { showLettersReady };
    },
};

registry.category("services").add("dunning_notices.letters_ready", lettersReadyService);
