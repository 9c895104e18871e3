import { registry } from "@web/core/registry";

/**
 * Fails when an element of `selector` does not show its whole text (cut with an ellipsis) or when the
 * list of `scroller` scrolls sideways, at the tour's window size (test_ui: 1440x900).
 */
function checkWhole(selector, scroller) {
    const cut = [...document.querySelectorAll(selector)].filter((el) => el.scrollWidth > el.clientWidth + 1);
    if (cut.length) {
        const texts = cut.map((el) => `"${el.textContent.trim()}"`).join(", ");
        throw new Error(`cut at ${window.innerWidth}px: ${texts}`);
    }
    const list = scroller && document.querySelector(scroller);
    if (list && list.scrollWidth > list.clientWidth + 1) {
        throw new Error(`${scroller} scrolls sideways at ${window.innerWidth}px`);
    }
}

/** Fails when a label of the form wraps onto more than one line. */
function checkLabelsOnOneLine(selector) {
    const wrapped = [...document.querySelectorAll(selector)].filter(
        (el) => el.offsetHeight > 1.5 * parseFloat(getComputedStyle(el).lineHeight)
    );
    if (wrapped.length) {
        throw new Error(`labels on several lines: ${wrapped.map((el) => el.textContent.trim()).join(", ")}`);
    }
}

// 19.0 shows an editable date as a button until it is focused, 18.0 as an input
const asOfJune30Steps = (prefix) => [
    {
        content: `${prefix}choose a date`,
        trigger: ".modal div[name='date_mode'] input[data-value='custom']",
        run: "click",
    },
    {
        content: "The date can be edited now",
        trigger: ".modal div[name='as_of_date'] button.o_input, .modal div[name='as_of_date'] input:not([readonly])",
        run: "click",
    },
    {
        content: "As of June 30, 2026",
        trigger: ".modal div[name='as_of_date'] input:not([readonly])",
        run: "edit 06/30/2026",
    },
];

registry.category("web_tour.tours").add("dunning_notices_menu_tour", {
    steps: () => [
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            content: "Open the Accounting app",
            trigger: ".o_app[data-menu-xmlid='account.menu_finance']",
            run: "click",
        },
        {
            content: "Open the Configuration menu",
            trigger: ".o_main_navbar [data-menu-xmlid='account.menu_finance_configuration']",
            run: "click",
        },
        {
            content: "Configuration has a Dunning section",
            trigger: ".o-dropdown--menu .dropdown-header:contains('Dunning')",
        },
        {
            content: "... with the levels, interest schemes and rates",
            trigger: ".o-dropdown--menu:has([data-menu-xmlid='dunning_notices.dunning_level_menu']):has([data-menu-xmlid='dunning_notices.dunning_interest_scheme_menu']):has([data-menu-xmlid='dunning_notices.dunning_interest_rate_menu'])",
        },
        {
            content: "Close the Configuration menu",
            trigger: ".o_main_navbar [data-menu-xmlid='account.menu_finance_configuration']",
            run: "click",
        },
        {
            trigger: "body:not(:has(.o-dropdown--menu))",
        },
        {
            content: "Open the Customers menu",
            trigger: ".o_main_navbar [data-menu-xmlid='account.menu_finance_receivables']",
            run: "click",
        },
        {
            content: "Customers has a Dunning section: send, runs, notices, letters to print",
            trigger: ".o-dropdown--menu:has(.dropdown-header:contains('Dunning')):has([data-menu-xmlid='dunning_notices.dunning_run_menu']):has([data-menu-xmlid='dunning_notices.dunning_notice_menu']):has([data-menu-xmlid='dunning_notices.dunning_notice_to_print_menu'])",
        },
        {
            content: "Send Notices is in the Customers menu",
            trigger: ".o-dropdown--menu [data-menu-xmlid='dunning_notices.dunning_notice_send_menu']",
            run: "click",
        },
        {
            content: "The wizard opens",
            trigger: ".modal button[name='action_apply_filters']",
        },
        ...asOfJune30Steps("All levels: "),
        {
            content: "Apply the filters",
            trigger: ".modal button[name='action_apply_filters']",
            run: "click",
        },
        {
            content: "With all levels, each customer's level is shown, by its name",
            trigger: ".modal .o_data_row:contains('Alpha Corp') td[name='level_id']:contains('Early'):not(:contains('('))",
        },
        {
            trigger: ".modal .o_data_row:contains('Carol Person') td[name='level_id']:contains('Late')",
        },
        {
            content: "No column that every customer leaves empty",
            trigger: ".modal div[name='line_ids'] thead:not(:has(th[data-name='disputed_note'])):not(:has(th[data-name='last_notice_info']))",
        },
        {
            content: "Step 2 reads whole at 1440 px, without scrolling sideways",
            trigger: ".modal div[name='line_ids'] th[data-name='level_id']",
            run() {
                checkWhole(
                    ".modal div[name='line_ids'] th span.text-truncate, .modal div[name='line_ids'] td.o_data_cell",
                    ".modal div[name='line_ids'] .o_list_renderer"
                );
            },
        },
        {
            content: "Open the Left Out tab",
            trigger: ".modal a.nav-link:contains('Left Out')",
            run: "click",
        },
        {
            content: "The customer left out, its level and the reason, whole",
            trigger: ".modal div[name='excluded_line_ids'] .o_data_row:contains('Dan No-Email')",
            run() {
                checkWhole(
                    ".modal div[name='excluded_line_ids'] th span.text-truncate, .modal div[name='excluded_line_ids'] td.o_data_cell",
                    ".modal div[name='excluded_line_ids'] .o_list_renderer"
                );
            },
        },
    ],
});

registry.category("web_tour.tours").add("dunning_notices_history_tour", {
    steps: () => [
        {
            content: "Open the customer's Dunning history",
            trigger: ".o_form_view button[name='action_view_dunning_notices']",
            run: "click",
        },
        {
            content: "Its column titles are whole",
            trigger: ".o_list_renderer .o_data_row td[name='collected_cash_30d']",
            run() {
                checkWhole(".o_list_renderer th span.text-truncate", ".o_list_renderer");
            },
        },
    ],
});

registry.category("web_tour.tours").add("dunning_notices_settings_tour", {
    steps: () => [
        {
            content: "The Dunning Notices block is in the Accounting settings",
            trigger: "#dunning_levels div[name='dunning_level_count']:contains('3')",
        },
        {
            content: "Open the levels",
            trigger: "#dunning_levels button[name='action_open_dunning_levels']",
            run: "click",
        },
        {
            content: "Open the Late level",
            trigger: ".o_list_view .o_data_row td.o_data_cell:contains('Late')",
            run: "click",
        },
        {
            content: "Its labels fit on one line",
            trigger: ".o_form_view div[name='max_days_overdue'] input",
            run() {
                checkLabelsOnOneLine(".o_form_view .o_inner_group .o_form_label");
            },
        },
        {
            content: "No upper bound: said so, in days and in amount, rather than a zero",
            trigger: ".o_form_view div[name='max_amount_overdue'] input[placeholder='no limit']",
            run() {
                for (const name of ["max_days_overdue", "max_amount_overdue"]) {
                    const input = document.querySelector(`.o_form_view div[name='${name}'] input`);
                    if (input.value !== "" || input.placeholder !== "no limit") {
                        throw new Error(`${name} shows "${input.value}" (placeholder "${input.placeholder}")`);
                    }
                }
            },
        },
        {
            content: "Set its upper bound",
            trigger: ".o_form_view div[name='max_days_overdue'] input",
            run: "edit 90",
        },
        {
            content: "Run it automatically, reviewed",
            trigger: ".o_form_view div[name='auto_mode'] input[data-value='review']",
            run: "click",
        },
        {
            content: "An upper bound: shown as typed",
            trigger: ".o_form_view div[name='max_days_overdue'] input:value('90')",
        },
        {
            content: "The mode proposes its sender before Save",
            trigger: ".o_form_view div[name='auto_sender_user_id'] input:value('accountman')",
        },
        {
            content: "Save",
            trigger: ".o_form_view .o_form_button_save",
            run: "click",
        },
        {
            content: "Saved",
            trigger: ".o_form_view .o_form_saved",
        },
    ],
});

registry.category("web_tour.tours").add("dunning_notices_send_tour", {
    steps: () => [
        {
            content: "Choose a date",
            trigger: ".modal div[name='date_mode'] input[data-value='custom']",
            run: "click",
        },
        {
            content: "The date can be edited now",
            // 19.0 shows an editable date as a button until it is focused, 18.0 as an input
            trigger: ".modal div[name='as_of_date'] button.o_input, .modal div[name='as_of_date'] input:not([readonly])",
            run: "click",
        },
        {
            content: "As of June 30, 2026",
            trigger: ".modal div[name='as_of_date'] input:not([readonly])",
            run: "edit 06/30/2026",
        },
        {
            content: "Pick the level",
            trigger: ".modal div[name='level_id'] input",
            run: "edit Early",
        },
        {
            trigger: ".o-autocomplete--dropdown-menu li:contains('Early')",
            run: "click",
        },
        {
            content: "The level brings its email template",
            trigger: ".modal div[name='mail_template_id'] input:value('Dunning: Friendly Reminder')",
        },
        {
            content: "Apply the filters",
            trigger: ".modal button[name='action_apply_filters']",
            run: "click",
        },
        {
            content: "One line per customer",
            trigger: ".modal .o_data_row:contains('Dan No-Email')",
        },
        {
            content: "One level: no Level column (the summary names it)",
            trigger: ".modal div[name='line_ids'] thead:not(:has(th[data-name='level_id']))",
        },
        {
            content: "Open Alpha's items",
            trigger: ".modal .o_data_row:contains('Alpha Corp') button[name='action_open_items']",
            run: "click",
        },
        {
            content: "Both overdue invoices are ticked",
            trigger: ".modal div[name='selected_amount_overdue']:contains('800.00')",
        },
        {
            content: "What the ticked items come to, named as Odoo names it",
            trigger: ".modal .o_form_label:contains('Selected Overdue')",
        },
        {
            content: "Untick the invoice of 300.00 for this run",
            trigger: ".modal div[name='overdue_item_ids'] .o_data_row:contains('300.00') td[name='selected'] input",
            run: "click",
        },
        {
            content: "The amounts follow",
            trigger: ".modal div[name='selected_amount_overdue']:contains('500.00')",
        },
        {
            content: "Back to the run with the ticked items",
            trigger: ".modal footer button[name='action_apply_items']",
            run: "click",
        },
        {
            content: "Alpha's line asks for 500.00 now",
            trigger: ".modal div[name='line_ids'] .o_data_row:contains('Alpha Corp') td[name='amount_net']:contains('500.00')",
        },
        {
            content: "Do not email Beta this time",
            trigger: ".modal .o_data_row:contains('Beta Ltd') td[name='to_email'] input",
            run: "click",
        },
        {
            content: "Do not print for Dan",
            trigger: ".modal .o_data_row:contains('Dan No-Email') td[name='to_print'] input",
            run: "click",
        },
        {
            content: "Send",
            trigger: ".modal footer button[name='action_send']",
            run: "click",
        },
        {
            content: "The notices sent are listed",
            trigger: ".o_list_view .o_data_row:contains('Carol Person')",
        },
        {
            trigger: ".o_list_view .o_data_row:contains('Alpha Corp')",
        },
        {
            content: "The wizard is closed",
            trigger: "body:not(:has(.modal))",
        },
    ],
});

registry.category("web_tour.tours").add("dunning_notices_review_tour", {
    steps: () => [
        {
            content: "Step 1: choose a date",
            trigger: ".modal div[name='date_mode'] input[data-value='custom']",
            run: "click",
        },
        {
            content: "The date can be edited now",
            // 19.0 shows an editable date as a button until it is focused, 18.0 as an input
            trigger: ".modal div[name='as_of_date'] button.o_input, .modal div[name='as_of_date'] input:not([readonly])",
            run: "click",
        },
        {
            content: "As of June 30, 2026",
            trigger: ".modal div[name='as_of_date'] input:not([readonly])",
            run: "edit 06/30/2026",
        },
        {
            content: "Pick the level",
            trigger: ".modal div[name='level_id'] input",
            run: "edit Early",
        },
        {
            trigger: ".o-autocomplete--dropdown-menu li:contains('Early')",
            run: "click",
        },
        {
            content: "Apply the filters",
            trigger: ".modal button[name='action_apply_filters']",
            run: "click",
        },
        {
            content: "Step 2: the filters are summed up, the customers listed",
            trigger: ".modal div[name='run_summary']:contains('Early')",
        },
        {
            trigger: ".modal .o_data_row:contains('Dan No-Email')",
        },
        {
            content: "Untick everything first",
            trigger: ".modal button[name='action_none']",
            run: "click",
        },
        {
            trigger: ".modal .o_data_row:contains('Alpha Corp') td[name='to_email'] input:not(:checked)",
        },
        {
            content: "Email all",
            trigger: ".modal button[name='action_email_all']",
            run: "click",
        },
        {
            content: "Beta is to be emailed",
            trigger: ".modal .o_data_row:contains('Beta Ltd') td[name='to_email'] input:checked",
        },
        {
            content: "Not Beta this time",
            trigger: ".modal .o_data_row:contains('Beta Ltd') td[name='to_email'] input",
            run: "click",
        },
        {
            content: "Save for review",
            trigger: ".modal footer button[name='action_save_for_review']",
            run: "click",
        },
        {
            content: "The run opens, to review",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains('To Review')",
        },
        {
            content: "Preview Alpha's email",
            trigger: ".o_form_view div[name='sent_notice_ids'] .o_data_row:contains('Alpha Corp') button[name='action_preview_email']",
            run: "click",
        },
        {
            content: "The email as Alpha gets it: its subject says DRAFT, its body lists Alpha's invoice",
            trigger: ":iframe td:contains('(DRAFT)')",
        },
        {
            trigger: ":iframe div:contains('500.00')",
        },
        {
            content: "Back to the run",
            trigger: ".o_breadcrumb .o_back_button a, .o_breadcrumb li:not(.active) a",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains('To Review')",
        },
        {
            content: "Send the run",
            trigger: ".o_form_view .o_form_statusbar button[name='action_send']",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "The run is sent",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains('Sent')",
        },
        {
            content: "Dan's letter is prepared in the background, to download from the run",
            trigger: ".o_form_view .alert-info:contains('letters are being prepared in the background')",
        },
    ],
});

registry.category("web_tour.tours").add("dunning_notices_effectiveness_tour", {
    steps: () => [
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            content: "Open the Accounting app",
            trigger: ".o_app[data-menu-xmlid='account.menu_finance']",
            run: "click",
        },
        {
            content: "Open the Reporting menu",
            trigger: ".o_main_navbar [data-menu-xmlid='account.menu_finance_reports']",
            run: "click",
        },
        {
            content: "Dunning Effectiveness is in the Reporting menu",
            trigger: ".o-dropdown--menu [data-menu-xmlid='dunning_notices.dunning_effectiveness_report_menu']",
            run: "click",
        },
        {
            content: "The notices of the last 30 days are left out by default: their 30 days are not over",
            trigger: ".o_searchview_facet:contains('30 Days Elapsed')",
        },
        {
            content: "The pivot shows the level with its collection rate",
            trigger: ".o_pivot .o_pivot_header_cell_closed:contains('All overdue')",
        },
        {
            content: "Its Total is on screen at 1440 px",
            trigger: ".o_pivot thead th.o_pivot_header_cell_closed:contains('Total')",
            run() {
                const total = this.anchor.getBoundingClientRect();
                const cells = document.querySelectorAll(".o_pivot thead th, .o_pivot td.o_pivot_cell_value");
                const right = Math.max(...[...cells].map((cell) => cell.getBoundingClientRect().right));
                if (total.left < 0 || right > window.innerWidth) {
                    throw new Error(`the pivot ends at ${right}px, the window at ${window.innerWidth}px`);
                }
            },
        },
        {
            content: "The rate of the level: 300 collected of 1,500 dunned",
            // 18.0's pivot drops a percentage's trailing zeros, 19.0's keeps them
            trigger: ".o_pivot td.o_pivot_cell_value:contains('20%'), .o_pivot td.o_pivot_cell_value:contains('20.00%')",
        },
        {
            content: "Switch to the graph",
            trigger: ".o_switch_view.o_graph",
            run: "click",
        },
        {
            content: "The graph of the rate by level",
            trigger: ".o_graph_renderer canvas",
        },
    ],
});

registry.category("web_tour.tours").add("dunning_notices_letters_ready_tour", {
    steps: () => [
        {
            content: "The letters of a run are ready: the web client gets the bus message of the run's user",
            trigger: ".o_main_navbar",
            async run() {
                // as the bus would deliver it (the test's transaction is never committed, so no bus message)
                const env = odoo.__WOWL_DEBUG__.root.env;
                const [run] = await env.services.orm.searchRead("dunning.run", [], ["name"], { limit: 1 });
                env.services["dunning_notices.letters_ready"].showLettersReady({
                    run_id: run.id,
                    title: "Dunning notices",
                    message: `The letters to print of run ${run.name} are ready (1).`,
                });
            },
        },
        {
            content: "The notification offers to download the letters",
            trigger: ".o_notification:contains('are ready') button:contains('Download Letters')",
        },
        {
            content: "Open the run from it",
            trigger: ".o_notification:contains('are ready') button:contains('Open Run')",
            run: "click",
        },
        {
            content: "The run, with its Download Letters button",
            trigger: ".o_form_view button[name='action_download_letters']",
        },
        {
            content: "The notification is closed",
            trigger: "body:not(:has(.o_notification:contains('are ready')))",
        },
    ],
});
