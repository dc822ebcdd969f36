//! The admin pages (admin.html), for administrators only: sales users (seats, import from
//! the CRM, refresh, deactivate / reactivate / remove), the Salesforce connection, automatic
//! user sync and its workflows, teams, privileges and SCIM tokens. Each section loads on its
//! own, so one failing endpoint leaves the others usable.

use super::progress::{self, Progress, IMPORT_CHUNK};
use super::rpc;
use super::view::{self, actions, error_box, note, page_root, section};
use super::PageError;
use crate::ui::dom::{self, el, msg, t, t_with, text, with_class};
use salespane_api::admin::{
    CrmUsersPage, ImportRefusal, ImportResult, RefreshReport, ResetResult, SalesUser, Seats,
    TeamSyncStatus,
};
use salespane_api::me::{MyCrmConnection, PanelComponent, Role, UserStatus};
use salespane_api::settings::{
    AutoSyncSettings, CrmObject, PrivilegeSettings, ScimToken, ScimTokenIssued, Team, Workflow,
    WorkflowTrigger,
};
use serde_json::{json, Value};
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::future::Future;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlButtonElement, HtmlInputElement};

const CRM_PAGE_SIZE: i64 = 25;

pub fn start() -> Result<(), JsValue> {
    let root = page_root()?;
    dom::clear(&root);
    root.set_attribute("data-page", "admin")?;
    root.set_attribute("data-state", "loading")?;
    let header = el("header")?;
    header.append_child(&*msg("h1", "adminHeading")?)?;
    root.append_child(&header)?;
    root.append_child(&*note("pageLoading")?)?;
    wasm_bindgen_futures::spawn_local(async move {
        let auth = rpc::status().await;
        let _ = draw(&root, &header, auth);
    });
    Ok(())
}

fn draw(
    root: &Element,
    header: &Element,
    auth: Result<rpc::AuthStatus, PageError>,
) -> Result<(), JsValue> {
    dom::clear(root);
    root.append_child(header)?;
    let me = match auth {
        Ok(auth) if auth.signed_in && auth.me.is_some() => auth.me,
        Ok(auth) => {
            let error = auth
                .error
                .map(|d| PageError {
                    status: 401,
                    code: d.code,
                    message: d.message,
                })
                .unwrap_or_else(|| PageError::local("not_signed_in", &t("adminSignInFirst")));
            root.append_child(&*error_box(&error)?)?;
            root.set_attribute("data-state", "signed-out")?;
            return Ok(());
        }
        Err(error) => {
            root.append_child(&*error_box(&error)?)?;
            root.set_attribute("data-state", "error")?;
            return Ok(());
        }
    };
    let Some(me) = me else { return Ok(()) };
    if me.user.role != Role::Admin {
        // Nothing else is drawn or fetched: the page holds no admin data for sales users.
        let refusal = with_class(msg("p", "adminOnlyAdmins")?, "alert");
        refusal.set_attribute("role", "alert")?;
        dom::testid(&refusal, "not-admin")?;
        root.append_child(&refusal)?;
        root.set_attribute("data-state", "not-admin")?;
        return Ok(());
    }
    header.append_child(&with_class(
        text("p", &t_with("adminAccount", &[&me.account.name]))?,
        "note",
    ))?;
    let nav = el("nav")?;
    nav.set_attribute("aria-label", &t("adminSectionsLabel"))?;
    let list = with_class(el("ul")?, "toc");
    let sections: [(&str, &str); 6] = [
        ("admin-users", "adminUsersHeading"),
        ("admin-crm", "adminCrmHeading"),
        ("admin-autosync", "adminAutoSyncHeading"),
        ("admin-teams", "adminTeamsHeading"),
        ("admin-privileges", "adminPrivilegesHeading"),
        ("admin-scim", "adminScimHeading"),
    ];
    for (id, title) in sections {
        let item = el("li")?;
        let link = msg("a", title)?;
        link.set_attribute("href", &format!("#{id}"))?;
        item.append_child(&link)?;
        list.append_child(&item)?;
    }
    nav.append_child(&list)?;
    root.append_child(&nav)?;
    root.append_child(&*users_section()?)?;
    root.append_child(&*crm_section()?)?;
    root.append_child(&*autosync_section()?)?;
    root.append_child(&*teams_section()?)?;
    root.append_child(&*privileges_section()?)?;
    root.append_child(&*scim_section()?)?;
    root.set_attribute("data-state", "ready")?;
    Ok(())
}

/// A section with an id (for the table of contents) and a body that loads itself.
fn admin_section(id: &str, title: &str) -> Result<(Element, Element), JsValue> {
    let s = section(title, id)?;
    s.set_id(id);
    let body = el("div")?;
    s.append_child(&body)?;
    Ok((s, body))
}

/// Loads `work` into `body`: a loading note first, an error box if it fails.
fn load_into<F>(body: &Element, work: F)
where
    F: Future<Output = Result<(), PageError>> + 'static,
{
    dom::clear(body);
    let _ = body.set_attribute("aria-busy", "true");
    if let Ok(loading) = note("pageLoading") {
        let _ = body.append_child(&loading);
    }
    let target = body.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let result = work.await;
        let _ = target.remove_attribute("aria-busy");
        if let Some(first) = target.first_element_child() {
            if first.get_attribute("class").as_deref() == Some("note")
                && first.text_content() == Some(t("pageLoading"))
            {
                first.remove();
            }
        }
        if let Err(error) = result {
            if let Ok(shown) = error_box(&error) {
                let _ = target.append_child(&shown);
            }
        }
    });
}

/// A button whose click runs `work`, disabled meanwhile, with errors shown in `status`.
fn action_button<F, Fut>(
    label: &str,
    testid: &str,
    status: &Element,
    work: F,
) -> Result<HtmlButtonElement, JsValue>
where
    F: Fn() -> Fut + 'static,
    Fut: Future<Output = Result<(), PageError>> + 'static,
{
    let button = dom::button(label, testid, || {})?;
    let (b, line) = (button.clone(), status.clone());
    dom::on(&button, "click", move |_| {
        view::set_busy(&b, true);
        dom::set_status(&line, "busy", &t("pageWorking"));
        let (b, line) = (b.clone(), line.clone());
        let fut = work();
        wasm_bindgen_futures::spawn_local(async move {
            let result = fut.await;
            view::set_busy(&b, false);
            match result {
                Ok(()) => {
                    if line.get_attribute("data-kind").as_deref() == Some("busy") {
                        dom::set_status(&line, "ok", &t("pageDone"));
                    }
                }
                Err(error) => view::show_error_in(&line, &error),
            }
        });
    });
    Ok(button)
}

// ----- Sales users -------------------------------------------------------------------

#[derive(Default)]
struct UsersState {
    search: String,
    page: i64,
    selected: BTreeSet<String>,
    crm: Option<CrmUsersPage>,
    seats: Option<Seats>,
}

#[derive(Clone)]
struct UsersView {
    state: Rc<RefCell<UsersState>>,
    seats: Element,
    crm: Element,
    users: Element,
    import_status: Element,
    progress_box: Element,
}

fn users_section() -> Result<Element, JsValue> {
    let (s, body) = admin_section("admin-users", "adminUsersHeading")?;
    let seats = el("div")?;
    dom::testid(&seats, "seats")?;

    let import = el("div")?;
    import.append_child(&*msg("h3", "adminImportHeading")?)?;
    import.append_child(&*note("adminImportNote")?)?;
    let search_form = with_class(el("form")?, "search");
    search_form.set_attribute("role", "search")?;
    let (search_field, search) =
        dom::input_field("admin-crm-search", &t("adminSearchLabel"), "search", "")?;
    let search_button = dom::button(&t("adminSearch"), "crm-search", || {})?;
    search_button.set_type("submit");
    dom::append(&search_form, &[&search_field, &search_button])?;
    let crm = el("div")?;
    dom::testid(&crm, "crm-users")?;
    let progress_box = with_class(el("div")?, "progress");
    progress_box.set_attribute("hidden", "")?;
    let import_status = dom::status_line("import-status")?;
    dom::append(
        &import,
        &[&search_form, &crm, &progress_box, &import_status],
    )?;

    let existing = el("div")?;
    existing.append_child(&*msg("h3", "adminUsersListHeading")?)?;
    let users = el("div")?;
    dom::testid(&users, "sales-users")?;
    existing.append_child(&users)?;
    dom::append(&body, &[&seats, &import, &existing])?;

    let view = UsersView {
        state: Rc::new(RefCell::new(UsersState {
            page: 1,
            ..Default::default()
        })),
        seats,
        crm,
        users,
        import_status,
        progress_box,
    };
    let v = view.clone();
    dom::on(&search_form, "submit", move |event| {
        event.prevent_default();
        {
            let mut state = v.state.borrow_mut();
            state.search = search.value().trim().to_string();
            state.page = 1;
        }
        reload_crm(&v);
    });
    reload_seats(&view);
    reload_crm(&view);
    reload_users(&view);
    Ok(s)
}

fn reload_seats(view: &UsersView) {
    let v = view.clone();
    load_into(&view.seats, async move {
        let seats: Seats = rpc::api("GET", "/api/v1/admin/seats", None).await?;
        v.state.borrow_mut().seats = Some(seats);
        draw_seats(&v, &seats).map_err(js_error)
    });
}

fn draw_seats(view: &UsersView, seats: &Seats) -> Result<(), JsValue> {
    let line = text(
        "p",
        &t_with(
            "adminSeats",
            &[
                &seats.used.to_string(),
                &seats.limit.to_string(),
                &seats.left.to_string(),
            ],
        ),
    )?;
    line.set_class_name("seats");
    for (name, value) in [
        ("data-used", seats.used),
        ("data-left", seats.left),
        ("data-limit", seats.limit),
    ] {
        view.seats.set_attribute(name, &value.to_string())?;
    }
    view.seats.append_child(&line)?;
    if seats.left <= 0 {
        let why = with_class(msg("p", "adminNoSeatsLeft")?, "alert");
        dom::testid(&why, "no-seats")?;
        view.seats.append_child(&why)?;
    }
    Ok(())
}

fn js_error(error: JsValue) -> PageError {
    PageError::local(
        "page_error",
        &error
            .as_string()
            .unwrap_or_else(|| "The page could not be drawn. Reload it.".into()),
    )
}

fn crm_path(state: &UsersState) -> String {
    let search: String = js_sys::encode_uri_component(&state.search).into();
    format!(
        "/api/v1/admin/crm/users?search={search}&page={}&page_size={CRM_PAGE_SIZE}",
        state.page
    )
}

fn reload_crm(view: &UsersView) {
    let v = view.clone();
    let path = crm_path(&view.state.borrow());
    load_into(&view.crm, async move {
        let page: CrmUsersPage = rpc::api("GET", &path, None).await?;
        v.state.borrow_mut().crm = Some(page);
        draw_crm(&v).map_err(js_error)
    });
}

fn draw_crm(view: &UsersView) -> Result<(), JsValue> {
    let state = view.state.borrow();
    let Some(page) = &state.crm else {
        return Ok(());
    };
    let container = &view.crm;
    if page.users.is_empty() {
        container.append_child(&*note("adminNoCrmUsers")?)?;
        return Ok(());
    }
    let wrap = with_class(el("div")?, "table-wrap");
    let table = el("table")?;
    let caption = msg("caption", "adminCrmUsersCaption")?;
    table.append_child(&caption)?;
    let head = el("thead")?;
    let row = el("tr")?;
    let all_cell = el("th")?;
    all_cell.set_attribute("scope", "col")?;
    let (all_label, select_all) = dom::checkbox("crm-select-all", &t("adminSelectAllPage"), false)?;
    dom::testid(&select_all, "select-all")?;
    all_cell.append_child(&all_label)?;
    row.append_child(&all_cell)?;
    for title in [
        "adminColName",
        "adminColUsername",
        "adminColTitle",
        "adminColStatus",
    ] {
        let th = msg("th", title)?;
        th.set_attribute("scope", "col")?;
        row.append_child(&th)?;
    }
    head.append_child(&row)?;
    table.append_child(&head)?;
    let tbody = el("tbody")?;
    let mut boxes: Vec<HtmlInputElement> = Vec::new();
    for (i, user) in page.users.iter().enumerate() {
        let tr = el("tr")?;
        tr.set_attribute("data-crm-user-id", &user.crm_user_id)?;
        let cell = el("td")?;
        let id = format!("crm-user-{i}");
        let (label, check) = dom::checkbox(&id, "", state.selected.contains(&user.crm_user_id))?;
        // The checkbox is labelled by the user's name (the label's text is empty).
        check.set_attribute("aria-label", &t_with("adminSelectUser", &[&user.name]))?;
        check.set_value(&user.crm_user_id);
        dom::testid(&check, "crm-user-check")?;
        if user.sales_user_id.is_some() {
            check.set_disabled(true);
            check.set_checked(false);
        } else {
            boxes.push(check.clone());
        }
        let st = view.state.clone();
        let (c, crm_id) = (check.clone(), user.crm_user_id.clone());
        dom::on(&check, "change", move |_| {
            let mut state = st.borrow_mut();
            if c.checked() {
                state.selected.insert(crm_id.clone());
            } else {
                state.selected.remove(&crm_id);
            }
        });
        cell.append_child(&label)?;
        tr.append_child(&cell)?;
        tr.append_child(&*text("td", &user.name)?)?;
        tr.append_child(&*text("td", &user.username)?)?;
        tr.append_child(&*text("td", user.title.as_deref().unwrap_or(""))?)?;
        let status = if user.sales_user_id.is_some() {
            "adminAlreadyImported"
        } else if !user.api_enabled {
            "adminNoApiAccess"
        } else {
            "adminNotImported"
        };
        let status_cell = msg("td", status)?;
        status_cell.set_attribute("data-status", status)?;
        tr.append_child(&status_cell)?;
        tbody.append_child(&tr)?;
    }
    table.append_child(&tbody)?;
    dom::label_cells(&table)?;
    wrap.append_child(&table)?;
    container.append_child(&wrap)?;
    let st = view.state.clone();
    let all = select_all.clone();
    dom::on(&select_all, "change", move |_| {
        let mut state = st.borrow_mut();
        for b in &boxes {
            b.set_checked(all.checked());
            if all.checked() {
                state.selected.insert(b.value());
            } else {
                state.selected.remove(&b.value());
            }
        }
    });

    // Paging and the import button.
    let pages = progress::page_count(page.total, page.page_size);
    let pager = with_class(el("div")?, "button-row");
    let v = view.clone();
    let prev = dom::button(&t("adminPrevPage"), "crm-prev", move || {
        v.state.borrow_mut().page -= 1;
        reload_crm(&v);
    })?;
    prev.set_disabled(page.page <= 1);
    let where_ = text(
        "span",
        &t_with(
            "adminPageOf",
            &[
                &page.page.to_string(),
                &pages.to_string(),
                &page.total.to_string(),
            ],
        ),
    )?;
    dom::testid(&where_, "crm-page")?;
    let v = view.clone();
    let next = dom::button(&t("adminNextPage"), "crm-next", move || {
        v.state.borrow_mut().page += 1;
        reload_crm(&v);
    })?;
    next.set_disabled(page.page >= pages);
    let v = view.clone();
    let import = dom::primary(&t("adminImport"), "import", move || run_import(&v))?;
    dom::append(&pager, &[&prev, &where_, &next, &import])?;
    container.append_child(&pager)?;
    Ok(())
}

/// Imports the selected CRM users in chunks, showing progress; then reports what happened.
fn run_import(view: &UsersView) {
    let ids: Vec<String> = view.state.borrow().selected.iter().cloned().collect();
    if ids.is_empty() {
        dom::set_status(&view.import_status, "error", &t("adminSelectFirst"));
        return;
    }
    let v = view.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let _ = set_import_controls(&v, true);
        let mut counter = Progress::new(ids.len());
        let (bar, label) = match progress_bar(&v.progress_box, ids.len()) {
            Ok(parts) => parts,
            Err(_) => return,
        };
        let mut imported = 0usize;
        let mut mapped = 0usize;
        let mut refused: Vec<ImportRefusal> = Vec::new();
        let mut failure: Option<PageError> = None;
        for chunk in progress::chunks(&ids, IMPORT_CHUNK) {
            let result: Result<ImportResult, PageError> = rpc::api(
                "POST",
                "/api/v1/admin/users/import",
                Some(json!({"crm_user_ids": chunk})),
            )
            .await;
            match result {
                Ok(result) => {
                    imported += result.imported.len();
                    mapped += result.mapped.len();
                    refused.extend(result.refused);
                }
                Err(error) => {
                    failure = Some(error);
                    break;
                }
            }
            counter.advance(chunk.len());
            bar.set_value(counter.done as f64);
            let subs = counter.substitutions();
            label.set_text_content(Some(&t_with("progressOf", &[&subs[0], &subs[1]])));
        }
        let _ = set_import_controls(&v, false);
        v.state.borrow_mut().selected.clear();
        let _ = report_import(&v, imported, mapped, &refused, failure.as_ref());
        reload_seats(&v);
        reload_crm(&v);
        reload_users(&v);
    });
}

fn set_import_controls(view: &UsersView, busy: bool) -> Result<(), JsValue> {
    for button in view.crm.query_selector_all("button")?.values() {
        if let Ok(b) = button?.dyn_into::<HtmlButtonElement>() {
            view::set_busy(&b, busy);
        }
    }
    if busy {
        dom::set_status(&view.import_status, "busy", &t("adminImporting"));
    }
    Ok(())
}

/// A `<progress>` with its "x of y" text, shown in `container`.
fn progress_bar(
    container: &Element,
    total: usize,
) -> Result<(web_sys::HtmlProgressElement, Element), JsValue> {
    dom::clear(container);
    container.remove_attribute("hidden")?;
    let bar: web_sys::HtmlProgressElement = el("progress")?.dyn_into()?;
    bar.set_max(total.max(1) as f64);
    bar.set_value(0.0);
    bar.set_id(&format!(
        "{}-bar",
        container.get_attribute("data-testid").unwrap_or_default()
    ));
    let label = text("span", &t_with("progressOf", &["0", &total.to_string()]))?;
    dom::testid(&label, "progress-text")?;
    label.set_attribute("aria-live", "polite")?;
    bar.set_attribute("aria-label", &t("adminProgressLabel"))?;
    dom::append(container, &[&bar, &label])?;
    Ok((bar, label))
}

fn report_import(
    view: &UsersView,
    imported: usize,
    mapped: usize,
    refused: &[ImportRefusal],
    failure: Option<&PageError>,
) -> Result<(), JsValue> {
    let line = &view.import_status;
    dom::clear(line);
    let kind = if failure.is_some() || !refused.is_empty() {
        "error"
    } else {
        "ok"
    };
    line.set_attribute("data-kind", kind)?;
    line.set_attribute("data-imported", &imported.to_string())?;
    line.set_attribute("data-refused", &refused.len().to_string())?;
    line.append_child(&*text(
        "span",
        &t_with(
            "adminImportSummary",
            &[
                &imported.to_string(),
                &mapped.to_string(),
                &refused.len().to_string(),
            ],
        ),
    )?)?;
    if let Some(error) = failure {
        line.append_child(&*error_box(error)?)?;
    }
    if !refused.is_empty() {
        let names = view
            .state
            .borrow()
            .crm
            .as_ref()
            .map(|p| p.users.clone())
            .unwrap_or_default();
        let list = el("ul")?;
        dom::testid(&list, "refusals")?;
        for refusal in refused {
            let who = names
                .iter()
                .find(|u| u.crm_user_id == refusal.crm_user_id)
                .map(|u| u.name.clone())
                .unwrap_or_else(|| refusal.crm_user_id.clone());
            let item = text("li", &format!("{who}: {}", refusal.message))?;
            item.set_attribute("data-code", &refusal.code)?;
            list.append_child(&item)?;
        }
        line.append_child(&list)?;
    }
    Ok(())
}

fn reload_users(view: &UsersView) {
    let v = view.clone();
    load_into(&view.users, async move {
        let users: Vec<SalesUser> = rpc::api("GET", "/api/v1/admin/users", None).await?;
        draw_users(&v, &users).map_err(js_error)
    });
}

fn draw_users(view: &UsersView, users: &[SalesUser]) -> Result<(), JsValue> {
    let container = &view.users;
    let status = dom::status_line("users-status")?;
    let refresh_box = with_class(el("div")?, "progress");
    dom::testid(&refresh_box, "refresh-progress")?;
    refresh_box.set_attribute("hidden", "")?;
    let v = view.clone();
    let (line, rbox) = (status.clone(), refresh_box.clone());
    let refresh = action_button(&t("adminRefresh"), "refresh", &status, move || {
        let (v, line, rbox) = (v.clone(), line.clone(), rbox.clone());
        async move {
            // One request does the whole refresh: show an indeterminate bar meanwhile.
            rbox.remove_attribute("hidden").ok();
            dom::clear(&rbox);
            if let Ok(bar) = el("progress") {
                let _ = bar.set_attribute("aria-label", &t("adminRefreshing"));
                let _ = rbox.append_child(&bar);
            }
            if let Ok(label) = msg("span", "adminRefreshing") {
                let _ = rbox.append_child(&label);
            }
            let result: Result<RefreshReport, PageError> =
                rpc::api("POST", "/api/v1/admin/users/refresh", None).await;
            let _ = rbox.set_attribute("hidden", "");
            let report = result?;
            dom::set_status(
                &line,
                "ok",
                &t_with(
                    "adminRefreshReport",
                    &[
                        &report.checked.to_string(),
                        &report.updated.to_string(),
                        &report.deactivated.to_string(),
                    ],
                ),
            );
            reload_seats(&v);
            reload_users(&v);
            Ok(())
        }
    })?;
    container.append_child(&*actions(&[&refresh])?)?;
    container.append_child(&refresh_box)?;
    container.append_child(&status)?;
    let wrap = with_class(el("div")?, "table-wrap");
    let table = el("table")?;
    table.append_child(&*msg("caption", "adminUsersCaption")?)?;
    let head = el("thead")?;
    let row = el("tr")?;
    for title in [
        "adminColName",
        "adminColEmail",
        "adminColRole",
        "adminColStatus",
        "adminColActions",
    ] {
        let th = msg("th", title)?;
        th.set_attribute("scope", "col")?;
        row.append_child(&th)?;
    }
    head.append_child(&row)?;
    table.append_child(&head)?;
    let tbody = el("tbody")?;
    for user in users {
        let tr = el("tr")?;
        tr.set_attribute("data-user-id", &user.id)?;
        tr.set_attribute("data-email", &user.email)?;
        tr.append_child(&*text("td", &user.name)?)?;
        tr.append_child(&*text("td", &user.email)?)?;
        tr.append_child(&*msg(
            "td",
            if user.role == Role::Admin {
                "adminRoleAdmin"
            } else {
                "adminRoleSales"
            },
        )?)?;
        let active = user.status == UserStatus::Active;
        tr.append_child(&*msg(
            "td",
            if active {
                "adminStatusActive"
            } else {
                "adminStatusDeactivated"
            },
        )?)?;
        let cell = el("td")?;
        let buttons = with_class(el("div")?, "button-row");
        let (v, id) = (view.clone(), user.id.clone());
        let toggle = action_button(
            &t(if active {
                "adminDeactivate"
            } else {
                "adminReactivate"
            }),
            if active { "deactivate" } else { "reactivate" },
            &status,
            move || {
                let (v, id) = (v.clone(), id.clone());
                async move {
                    let next = if active { "deactivated" } else { "active" };
                    let _: SalesUser = rpc::api(
                        "PATCH",
                        &format!("/api/v1/admin/users/{id}"),
                        Some(json!({"status": next})),
                    )
                    .await?;
                    reload_seats(&v);
                    reload_users(&v);
                    Ok(())
                }
            },
        )?;
        toggle.set_attribute(
            "aria-label",
            &format!(
                "{} {}",
                toggle.text_content().unwrap_or_default(),
                user.name
            ),
        )?;
        // Removing asks once more, in place (no modal dialog).
        let remove = dom::button(&t("adminRemove"), "remove", || {})?;
        remove.set_attribute("aria-label", &format!("{} {}", t("adminRemove"), user.name))?;
        let (v, id, line, r) = (
            view.clone(),
            user.id.clone(),
            status.clone(),
            remove.clone(),
        );
        let armed = Rc::new(RefCell::new(false));
        dom::on(&remove, "click", move |_| {
            if !*armed.borrow() {
                *armed.borrow_mut() = true;
                r.set_text_content(Some(&t("adminRemoveConfirm")));
                return;
            }
            let (v, id, line) = (v.clone(), id.clone(), line.clone());
            view::set_busy(&r, true);
            wasm_bindgen_futures::spawn_local(async move {
                let done: Result<Value, PageError> =
                    rpc::api("DELETE", &format!("/api/v1/admin/users/{id}"), None).await;
                match done {
                    Ok(_) => {
                        reload_seats(&v);
                        reload_users(&v);
                        reload_crm(&v);
                    }
                    Err(error) => view::show_error_in(&line, &error),
                }
            });
        });
        dom::append(&buttons, &[&toggle, &remove])?;
        cell.append_child(&buttons)?;
        tr.append_child(&cell)?;
        tbody.append_child(&tr)?;
    }
    table.append_child(&tbody)?;
    dom::label_cells(&table)?;
    wrap.append_child(&table)?;
    container.append_child(&wrap)?;
    Ok(())
}

// ----- Salesforce connection ---------------------------------------------------------

fn crm_section() -> Result<Element, JsValue> {
    let (s, body) = admin_section("admin-crm", "adminCrmHeading")?;
    reload_crm_connection(&body);
    Ok(s)
}

fn reload_crm_connection(body: &Element) {
    let target = body.clone();
    load_into(body, async move {
        let status: TeamSyncStatus = rpc::api("GET", "/api/v1/admin/crm/connection", None).await?;
        draw_crm_connection(&target, &status).map_err(js_error)
    });
}

fn draw_crm_connection(body: &Element, status: &TeamSyncStatus) -> Result<(), JsValue> {
    let state = msg(
        "p",
        if status.connected {
            "adminCrmConnected"
        } else {
            "adminCrmNotConnected"
        },
    )?;
    state.set_class_name(if status.connected {
        "badge ok"
    } else {
        "badge warn"
    });
    dom::testid(&state, "crm-state")?;
    state.set_attribute(
        "data-connected",
        if status.connected { "true" } else { "false" },
    )?;
    body.append_child(&state)?;
    if let Some(team) = &status.team_sync {
        body.append_child(&*text(
            "p",
            &t_with(
                "adminTeamSyncUser",
                &[&team.crm_username, &team.user_email, &team.status],
            ),
        )?)?;
        if !team.api_enabled {
            body.append_child(&with_class(msg("p", "errNoApiAccessDetail")?, "alert"))?;
        }
        if let Some(error) = &team.last_error {
            body.append_child(&with_class(text("p", error)?, "alert"))?;
        }
    }
    if let Some(hint) = &status.hint {
        body.append_child(&with_class(text("p", hint)?, "note"))?;
    }
    let line = dom::status_line("crm-status")?;
    let form = el("div")?;
    if status.candidates.is_empty() {
        form.append_child(&*note("adminNoCandidates")?)?;
    } else {
        let options: Vec<(String, String)> = status
            .candidates
            .iter()
            .map(|c| {
                let api = if c.api_enabled {
                    String::new()
                } else {
                    format!(" — {}", t("adminNoApiAccess"))
                };
                (
                    c.id.clone(),
                    format!("{} ({}){api}", c.crm_username, c.user_email),
                )
            })
            .collect();
        let selected = status
            .team_sync
            .as_ref()
            .map(|c| c.id.clone())
            .unwrap_or_default();
        let (field, select) = dom::select_field(
            "admin-team-sync",
            &t("adminChooseTeamSync"),
            &options,
            &selected,
        )?;
        form.append_child(&field)?;
        let target = body.clone();
        let choose = action_button(
            &t("adminUseTeamSync"),
            "choose-team-sync",
            &line,
            move || {
                let (target, id) = (target.clone(), select.value());
                async move {
                    let _: TeamSyncStatus = rpc::api(
                        "PUT",
                        "/api/v1/admin/crm/connection",
                        Some(json!({"connection_id": id})),
                    )
                    .await?;
                    reload_crm_connection(&target);
                    Ok(())
                }
            },
        )?;
        form.append_child(&*actions(&[&choose])?)?;
    }
    let target = body.clone();
    let connect = action_button(&t("adminConnectMine"), "connect-mine", &line, move || {
        let target = target.clone();
        async move {
            let _: MyCrmConnection = rpc::connect_crm(None).await?;
            reload_crm_connection(&target);
            Ok(())
        }
    })?;
    let target = body.clone();
    let reset = action_button(
        &t("adminResetConnection"),
        "reset-connection",
        &line,
        move || {
            let target = target.clone();
            async move {
                let _: ResetResult =
                    rpc::api("POST", "/api/v1/admin/crm/connection/reset", None).await?;
                reload_crm_connection(&target);
                Ok(())
            }
        },
    )?;
    form.append_child(&*actions(&[&connect, &reset])?)?;
    form.append_child(&line)?;
    body.append_child(&form)?;
    Ok(())
}

// ----- Automatic user sync and workflows ---------------------------------------------

fn autosync_section() -> Result<Element, JsValue> {
    let (s, body) = admin_section("admin-autosync", "adminAutoSyncHeading")?;
    s.insert_before(&*note("adminAutoSyncNote")?, Some(&body))?;
    let setting = el("div")?;
    let workflows = el("div")?;
    dom::append(&body, &[&setting, &workflows])?;
    let target = setting.clone();
    load_into(&setting, async move {
        let current: AutoSyncSettings = rpc::api("GET", "/api/v1/admin/autosync", None).await?;
        let (label, check) =
            dom::checkbox("admin-autosync-on", &t("adminAutoSyncOn"), current.enabled)
                .map_err(js_error)?;
        let line = dom::status_line("autosync-status").map_err(js_error)?;
        let save = action_button(&t("settingsSave"), "autosync-save", &line, move || {
            let enabled = check.checked();
            async move {
                let _: AutoSyncSettings = rpc::api(
                    "PUT",
                    "/api/v1/admin/autosync",
                    Some(json!({"enabled": enabled})),
                )
                .await?;
                Ok(())
            }
        })
        .map_err(js_error)?;
        let row = actions(&[&label, &save]).map_err(js_error)?;
        dom::append(&target, &[&row, &line]).map_err(js_error)
    });
    reload_workflows(&workflows);
    Ok(s)
}

fn reload_workflows(body: &Element) {
    let target = body.clone();
    load_into(body, async move {
        let list: Vec<Workflow> = rpc::api("GET", "/api/v1/admin/workflows", None).await?;
        draw_workflows(&target, &list).map_err(js_error)
    });
}

const OBJECTS: [CrmObject; 6] = [
    CrmObject::Opportunity,
    CrmObject::Task,
    CrmObject::Event,
    CrmObject::Lead,
    CrmObject::Contact,
    CrmObject::Account,
];
const TRIGGERS: [(WorkflowTrigger, &str); 3] = [
    (WorkflowTrigger::Created, "adminTriggerCreated"),
    (WorkflowTrigger::Updated, "adminTriggerUpdated"),
    (
        WorkflowTrigger::CreatedOrUpdated,
        "adminTriggerCreatedOrUpdated",
    ),
];

fn trigger_label(trigger: WorkflowTrigger) -> String {
    TRIGGERS
        .iter()
        .find(|(t_, _)| *t_ == trigger)
        .map(|(_, name)| t(name))
        .unwrap_or_default()
}

fn draw_workflows(body: &Element, list: &[Workflow]) -> Result<(), JsValue> {
    body.append_child(&*msg("h3", "adminWorkflowsHeading")?)?;
    let line = dom::status_line("workflows-status")?;
    if list.is_empty() {
        body.append_child(&*note("adminNoWorkflows")?)?;
    }
    let items = el("ul")?;
    items.set_class_name("rows");
    for workflow in list {
        let item = el("li")?;
        item.set_attribute("data-workflow-id", &workflow.id)?;
        item.append_child(&*text(
            "span",
            &format!(
                "{} — {} ({})",
                workflow.name,
                workflow.crm_object.as_str(),
                trigger_label(workflow.trigger)
            ),
        )?)?;
        let (label, active) = dom::checkbox(
            &format!("wf-active-{}", workflow.id),
            &t("adminWorkflowActive"),
            workflow.active,
        )?;
        let id = workflow.id.clone();
        let l = line.clone();
        let a = active.clone();
        dom::on(&active, "change", move |_| {
            let (id, l, on) = (id.clone(), l.clone(), a.checked());
            view::spawn(
                async move {
                    let _: Workflow = rpc::api(
                        "PATCH",
                        &format!("/api/v1/admin/workflows/{id}"),
                        Some(json!({"active": on})),
                    )
                    .await?;
                    Ok(())
                },
                move |error| view::show_error_in(&l, &error),
            );
        });
        let (target, id) = (body.clone(), workflow.id.clone());
        let delete = action_button(&t("adminDelete"), "workflow-delete", &line, move || {
            let (target, id) = (target.clone(), id.clone());
            async move {
                let _: Value =
                    rpc::api("DELETE", &format!("/api/v1/admin/workflows/{id}"), None).await?;
                reload_workflows(&target);
                Ok(())
            }
        })?;
        item.append_child(&*actions(&[&label, &delete])?)?;
        items.append_child(&item)?;
    }
    body.append_child(&items)?;
    // New workflow.
    let form = el("fieldset")?;
    form.append_child(&*msg("legend", "adminNewWorkflow")?)?;
    let (name_f, name) = dom::input_field("wf-name", &t("adminWorkflowName"), "text", "")?;
    let objects: Vec<(String, String)> = OBJECTS
        .iter()
        .map(|o| (o.as_str().to_string(), o.as_str().to_string()))
        .collect();
    let (object_f, object) = dom::select_field(
        "wf-object",
        &t("adminWorkflowObject"),
        &objects,
        "Opportunity",
    )?;
    let triggers: Vec<(String, String)> = TRIGGERS
        .iter()
        .map(|(tr, n)| (tr.as_str().to_string(), t(n)))
        .collect();
    let (trigger_f, trigger) = dom::select_field(
        "wf-trigger",
        &t("adminWorkflowTrigger"),
        &triggers,
        "created",
    )?;
    let row = with_class(el("div")?, "field-row");
    dom::append(&row, &[&name_f, &object_f, &trigger_f])?;
    let target = body.clone();
    let create = action_button(&t("adminCreate"), "workflow-create", &line, move || {
        let (target, name, object, trigger) = (
            target.clone(),
            name.value(),
            object.value(),
            trigger.value(),
        );
        async move {
            if name.trim().is_empty() {
                return Err(PageError::local("name_required", &t("adminNameRequired")));
            }
            let _: Workflow = rpc::api(
                "POST",
                "/api/v1/admin/workflows",
                Some(json!({"name": name.trim(), "crm_object": object, "trigger": trigger})),
            )
            .await?;
            reload_workflows(&target);
            Ok(())
        }
    })?;
    dom::append(&form, &[&row, &actions(&[&create])?])?;
    body.append_child(&form)?;
    body.append_child(&line)?;
    Ok(())
}

// ----- Teams -------------------------------------------------------------------------

fn teams_section() -> Result<Element, JsValue> {
    let (s, body) = admin_section("admin-teams", "adminTeamsHeading")?;
    reload_teams(&body);
    Ok(s)
}

fn reload_teams(body: &Element) {
    let target = body.clone();
    load_into(body, async move {
        let teams: Vec<Team> = rpc::api("GET", "/api/v1/admin/teams", None).await?;
        let users: Vec<SalesUser> = rpc::api("GET", "/api/v1/admin/users", None).await?;
        draw_teams(&target, &teams, &users).map_err(js_error)
    });
}

fn draw_teams(body: &Element, teams: &[Team], users: &[SalesUser]) -> Result<(), JsValue> {
    let line = dom::status_line("teams-status")?;
    if teams.is_empty() {
        body.append_child(&*note("adminNoTeams")?)?;
    }
    for team in teams {
        let group = el("fieldset")?;
        group.set_attribute("data-team-id", &team.id)?;
        group.append_child(&*text("legend", &team.name)?)?;
        let (name_f, name) = dom::input_field(
            &format!("team-name-{}", team.id),
            &t("adminTeamName"),
            "text",
            &team.name,
        )?;
        let (target, id) = (body.clone(), team.id.clone());
        let rename = action_button(&t("adminRename"), "team-rename", &line, move || {
            let (target, id, name) = (target.clone(), id.clone(), name.value());
            async move {
                let _: Team = rpc::api(
                    "PATCH",
                    &format!("/api/v1/admin/teams/{id}"),
                    Some(json!({"name": name.trim()})),
                )
                .await?;
                reload_teams(&target);
                Ok(())
            }
        })?;
        let (target, id) = (body.clone(), team.id.clone());
        let delete = action_button(&t("adminDelete"), "team-delete", &line, move || {
            let (target, id) = (target.clone(), id.clone());
            async move {
                let _: Value =
                    rpc::api("DELETE", &format!("/api/v1/admin/teams/{id}"), None).await?;
                reload_teams(&target);
                Ok(())
            }
        })?;
        dom::append(&group, &[&name_f, &actions(&[&rename, &delete])?])?;
        let members = el("fieldset")?;
        members.append_child(&*msg("legend", "adminTeamMembers")?)?;
        let mut boxes = Vec::new();
        for user in users {
            let member = team.members.iter().any(|m| m.user_id == user.id);
            let (label, check) = dom::checkbox(
                &format!("team-{}-user-{}", team.id, user.id),
                &format!("{} ({})", user.name, user.email),
                member,
            )?;
            check.set_value(&user.id);
            boxes.push(check);
            members.append_child(&label)?;
        }
        let (target, id) = (body.clone(), team.id.clone());
        let save = action_button(
            &t("adminSaveMembers"),
            "team-members-save",
            &line,
            move || {
                let ids: Vec<String> = boxes
                    .iter()
                    .filter(|b| b.checked())
                    .map(|b| b.value())
                    .collect();
                let (target, id) = (target.clone(), id.clone());
                async move {
                    let _: Value = rpc::api(
                        "PUT",
                        &format!("/api/v1/admin/teams/{id}/members"),
                        Some(json!({"user_ids": ids})),
                    )
                    .await?;
                    reload_teams(&target);
                    Ok(())
                }
            },
        )?;
        members.append_child(&*actions(&[&save])?)?;
        group.append_child(&members)?;
        body.append_child(&group)?;
    }
    let form = el("fieldset")?;
    form.append_child(&*msg("legend", "adminNewTeam")?)?;
    let (name_f, name) = dom::input_field("team-new-name", &t("adminTeamName"), "text", "")?;
    let target = body.clone();
    let create = action_button(&t("adminCreate"), "team-create", &line, move || {
        let (target, name) = (target.clone(), name.value());
        async move {
            if name.trim().is_empty() {
                return Err(PageError::local("name_required", &t("adminNameRequired")));
            }
            let _: Team = rpc::api(
                "POST",
                "/api/v1/admin/teams",
                Some(json!({"name": name.trim()})),
            )
            .await?;
            reload_teams(&target);
            Ok(())
        }
    })?;
    dom::append(&form, &[&name_f, &actions(&[&create])?])?;
    body.append_child(&form)?;
    body.append_child(&line)?;
    Ok(())
}

// ----- Privileges --------------------------------------------------------------------

fn component_message(component: PanelComponent) -> &'static str {
    match component {
        PanelComponent::Timeline => "compTimeline",
        PanelComponent::Score => "compScore",
        PanelComponent::HotProspects => "compHotProspects",
        PanelComponent::SentMessages => "compSentMessages",
        PanelComponent::WebsiteVisits => "compWebsiteVisits",
        PanelComponent::SendEmail => "compSendEmail",
        PanelComponent::LogCall => "compLogCall",
        PanelComponent::LogNote => "compLogNote",
        PanelComponent::LogTask => "compLogTask",
        PanelComponent::CreateLead => "compCreateLead",
    }
}

fn privileges_section() -> Result<Element, JsValue> {
    let (s, body) = admin_section("admin-privileges", "adminPrivilegesHeading")?;
    let target = body.clone();
    load_into(&body, async move {
        let current: PrivilegeSettings = rpc::api("GET", "/api/v1/admin/privileges", None).await?;
        draw_privileges(&target, &current).map_err(js_error)
    });
    Ok(s)
}

fn draw_privileges(body: &Element, current: &PrivilegeSettings) -> Result<(), JsValue> {
    let group = el("fieldset")?;
    group.append_child(&*msg("legend", "adminHiddenLegend")?)?;
    let mut boxes = Vec::new();
    for component in PanelComponent::ALL {
        let (label, check) = dom::checkbox(
            &format!("priv-{}", component_message(component)),
            &t(component_message(component)),
            current.hidden_components.contains(&component),
        )?;
        boxes.push((component, check));
        group.append_child(&label)?;
    }
    let line = dom::status_line("privileges-status")?;
    let save = action_button(&t("settingsSave"), "privileges-save", &line, move || {
        let hidden: Vec<PanelComponent> = boxes
            .iter()
            .filter(|(_, b)| b.checked())
            .map(|(c, _)| *c)
            .collect();
        async move {
            let _: PrivilegeSettings = rpc::api(
                "PUT",
                "/api/v1/admin/privileges",
                Some(json!({"hidden_components": hidden})),
            )
            .await?;
            Ok(())
        }
    })?;
    dom::append(
        body,
        &[
            &note("adminPrivilegesNote")?,
            &group,
            &actions(&[&save])?,
            &line,
        ],
    )?;
    Ok(())
}

// ----- SCIM tokens -------------------------------------------------------------------

fn scim_section() -> Result<Element, JsValue> {
    let (s, body) = admin_section("admin-scim", "adminScimHeading")?;
    s.insert_before(&*note("adminScimNote")?, Some(&body))?;
    let issued = el("div")?;
    dom::testid(&issued, "scim-issued")?;
    let list = el("div")?;
    dom::append(&body, &[&issued, &list])?;
    reload_scim(&list, &issued);
    Ok(s)
}

fn reload_scim(list: &Element, issued: &Element) {
    let (target, shown) = (list.clone(), issued.clone());
    load_into(list, async move {
        let tokens: Vec<ScimToken> = rpc::api("GET", "/api/v1/admin/scim-tokens", None).await?;
        draw_scim(&target, &shown, &tokens).map_err(js_error)
    });
}

fn draw_scim(list: &Element, issued: &Element, tokens: &[ScimToken]) -> Result<(), JsValue> {
    let line = dom::status_line("scim-status")?;
    let live: Vec<&ScimToken> = tokens.iter().filter(|t_| t_.revoked_at.is_none()).collect();
    if live.is_empty() {
        list.append_child(&*note("adminNoScimTokens")?)?;
    }
    let rows = with_class(el("ul")?, "rows");
    for token in live {
        let item = el("li")?;
        item.set_attribute("data-token-id", &token.id)?;
        item.append_child(&*text("span", &token.name)?)?;
        let (l, i, id) = (list.clone(), issued.clone(), token.id.clone());
        let revoke = action_button(&t("adminRevoke"), "scim-revoke", &line, move || {
            let (l, i, id) = (l.clone(), i.clone(), id.clone());
            async move {
                let _: Value =
                    rpc::api("DELETE", &format!("/api/v1/admin/scim-tokens/{id}"), None).await?;
                reload_scim(&l, &i);
                Ok(())
            }
        })?;
        revoke.set_attribute(
            "aria-label",
            &format!("{} {}", t("adminRevoke"), token.name),
        )?;
        item.append_child(&revoke)?;
        rows.append_child(&item)?;
    }
    list.append_child(&rows)?;
    let form = el("fieldset")?;
    form.append_child(&*msg("legend", "adminNewScimToken")?)?;
    let (name_f, name) = dom::input_field("scim-name", &t("adminScimName"), "text", "")?;
    let (l, i) = (list.clone(), issued.clone());
    let create = action_button(&t("adminCreate"), "scim-create", &line, move || {
        let (l, i, name) = (l.clone(), i.clone(), name.value());
        async move {
            if name.trim().is_empty() {
                return Err(PageError::local("name_required", &t("adminNameRequired")));
            }
            let token: ScimTokenIssued = rpc::api(
                "POST",
                "/api/v1/admin/scim-tokens",
                Some(json!({"name": name.trim()})),
            )
            .await?;
            show_issued(&i, &token).map_err(js_error)?;
            reload_scim(&l, &i);
            Ok(())
        }
    })?;
    dom::append(&form, &[&name_f, &actions(&[&create])?])?;
    list.append_child(&form)?;
    list.append_child(&line)?;
    Ok(())
}

/// The new token, shown once, selectable, with a copy button.
fn show_issued(container: &Element, token: &ScimTokenIssued) -> Result<(), JsValue> {
    dom::clear(container);
    let box_ = with_class(el("div")?, "issued");
    box_.append_child(&*msg("p", "adminScimShownOnce")?)?;
    let (field, input) = dom::input_field(
        "scim-token-value",
        &t_with("adminScimTokenFor", &[&token.name]),
        "text",
        &token.token,
    )?;
    input.set_read_only(true);
    let secret = token.token.clone();
    let copied = dom::status_line("scim-copy-status")?;
    let c = copied.clone();
    let copy = dom::button(&t("adminCopy"), "scim-copy", move || {
        dom::copy_text(&secret);
        dom::set_status(&c, "ok", &t("adminCopied"));
    })?;
    dom::append(&box_, &[&field, &actions(&[&copy])?, &copied])?;
    container.append_child(&box_)?;
    input.select();
    Ok(())
}
