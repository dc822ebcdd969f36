//! The admin pages (admin.html), for administrators only: sales users (seats, import from
//! the CRM, refresh, deactivate / reactivate / remove), the Salesforce connection, automatic
//! user sync and its workflows, teams, privileges and SCIM tokens. Each section loads on its
//! own (a resource per endpoint), so one failing endpoint leaves the others usable; an
//! action reloads only the resources it changed.

use super::progress::{self, Progress, IMPORT_CHUNK};
use super::rpc;
use super::PageError;
use crate::ui::browser;
use crate::ui::components::{
    Button, ButtonRow, Cell, Checkbox, Empty, ErrorBox, Loaded, Loading, Note, PageFrame, Pager,
    ProgressBar, Section, Select, SelectAll, Status, StatusLine, Table, TextInput, Working,
};
use crate::ui::i18n::{t, t_with};
use leptos::prelude::*;
use leptos::task::spawn_local;
use salespane_api::admin::{
    CrmUserRow, CrmUsersPage, ImportRefusal, ImportResult, RefreshReport, ResetResult, SalesUser,
    Seats, TeamSyncStatus,
};
use salespane_api::me::{MyCrmConnection, PanelComponent, Role, UserStatus};
use salespane_api::settings::{
    AutoSyncSettings, CrmObject, PrivilegeSettings, ScimToken, ScimTokenIssued, Team, Workflow,
    WorkflowTrigger,
};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::future::Future;
use wasm_bindgen::prelude::*;

const CRM_PAGE_SIZE: i64 = 25;

/// Renders the page in place of admin.html's `#salespane-page`.
pub fn start() -> Result<(), JsValue> {
    browser::mount_in_place_of("salespane-page", || view! { <AdminPage/> })
}

/// A `GET` of the API as a resource: loads now, and again on `refetch`.
fn get<T>(path: &'static str) -> LocalResource<Result<T, PageError>>
where
    T: DeserializeOwned + 'static,
{
    LocalResource::new(move || rpc::api::<T>("GET", path, None))
}

/// A resource's value as a signal, for [`Loaded`].
fn data<T: Clone + Send + Sync + 'static>(
    resource: LocalResource<Result<T, PageError>>,
) -> Signal<Option<Result<T, PageError>>> {
    Signal::derive(move || resource.get())
}

/// Who is looking: what the page shows follows from it.
#[derive(Clone)]
enum Viewer {
    Admin { account: String },
    NotAdmin,
    SignedOut(PageError),
    Failed(PageError),
}

impl Viewer {
    fn state(&self) -> &'static str {
        match self {
            Viewer::Admin { .. } => "ready",
            Viewer::NotAdmin => "not-admin",
            Viewer::SignedOut(_) => "signed-out",
            Viewer::Failed(_) => "error",
        }
    }
}

async fn viewer() -> Viewer {
    match rpc::status().await {
        Ok(auth) => match auth.me.filter(|_| auth.signed_in) {
            Some(me) if me.user.role == Role::Admin => Viewer::Admin {
                account: me.account.name,
            },
            Some(_) => Viewer::NotAdmin,
            None => Viewer::SignedOut(
                auth.error
                    .map(|d| PageError {
                        status: 401,
                        code: d.code,
                        message: d.message,
                    })
                    .unwrap_or_else(|| PageError::local("not_signed_in", &t("adminSignInFirst"))),
            ),
        },
        Err(error) => Viewer::Failed(error),
    }
}

const SECTIONS: [(&str, &str); 6] = [
    ("admin-users", "adminUsersHeading"),
    ("admin-crm", "adminCrmHeading"),
    ("admin-autosync", "adminAutoSyncHeading"),
    ("admin-teams", "adminTeamsHeading"),
    ("admin-privileges", "adminPrivilegesHeading"),
    ("admin-scim", "adminScimHeading"),
];

#[component]
fn AdminPage() -> impl IntoView {
    let who = LocalResource::new(viewer);
    let state = Signal::derive(move || {
        who.with(|w| w.as_ref().map_or("loading", Viewer::state).to_string())
    });
    let subtitle = Signal::derive(move || {
        who.with(|w| match w {
            Some(Viewer::Admin { account }) => Some(t_with("adminAccount", &[account])),
            _ => None,
        })
    });
    view! {
        <PageFrame page="admin" heading="adminHeading" subtitle state>
            {move || match who.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Viewer::SignedOut(error) | Viewer::Failed(error)) => view! { <ErrorBox error/> }.into_any(),
                // Nothing else is drawn or fetched: the page holds no admin data for sales users.
                Some(Viewer::NotAdmin) => {
                    view! { <p class="alert" role="alert" data-testid="not-admin">{t("adminOnlyAdmins")}</p> }
                        .into_any()
                }
                Some(Viewer::Admin { .. }) => view! { <AdminSections/> }.into_any(),
            }}
        </PageFrame>
    }
}

#[component]
fn AdminSections() -> impl IntoView {
    let toc = SECTIONS
        .iter()
        .map(|(id, title)| view! { <li><a href=format!("#{id}")>{t(title)}</a></li> })
        .collect_view();
    view! {
        <nav aria-label=t("adminSectionsLabel")>
            <ul class="toc">{toc}</ul>
        </nav>
        <UsersSection/>
        <CrmSection/>
        <AutoSyncSection/>
        <TeamsSection/>
        <PrivilegesSection/>
        <ScimSection/>
    }
}

/// Runs `work`, saying in `status` that it runs, then that it is done or why it failed.
fn run(status: RwSignal<Status>, work: impl Future<Output = Result<(), PageError>> + 'static) {
    status.set(Status::busy(t("pageWorking")));
    spawn_local(async move {
        match work.await {
            Ok(()) => status.update(|s| {
                if s.is_busy() {
                    *s = Status::ok(t("pageDone"));
                }
            }),
            Err(error) => status.set(Status::error(&error)),
        }
    });
}

/// A button whose click runs `work`, disabled meanwhile, reporting in `status`.
#[component]
fn ActionButton<F, Fut>(
    #[prop(into)] label: String,
    testid: &'static str,
    status: RwSignal<Status>,
    work: F,
    #[prop(optional)] primary: bool,
    #[prop(optional, into)] aria_label: MaybeProp<String>,
) -> impl IntoView
where
    F: Fn() -> Fut + 'static,
    Fut: Future<Output = Result<(), PageError>> + 'static,
{
    let busy = RwSignal::new(false);
    let click = move || {
        busy.set(true);
        let work = work();
        run(status, async move {
            let result = work.await;
            // The list holding this button may have been drawn again meanwhile.
            busy.try_set(false);
            result
        });
    };
    view! { <Button label=label testid primary busy aria_label on_click=click/> }
}

// ----- Sales users -------------------------------------------------------------------

/// What the last import did.
#[derive(Debug, Clone, Default)]
struct ImportReport {
    imported: usize,
    mapped: usize,
    /// (code, who, why) per refused user.
    refused: Vec<(String, String, String)>,
    failure: Option<PageError>,
}

#[derive(Debug, Clone, Default)]
enum ImportState {
    #[default]
    Idle,
    Busy,
    Problem(String),
    Done(ImportReport),
}

/// The three lists the users section shows, reloaded after what changes them.
#[derive(Clone, Copy)]
struct UsersData {
    seats: LocalResource<Result<Seats, PageError>>,
    crm: LocalResource<Result<CrmUsersPage, PageError>>,
    users: LocalResource<Result<Vec<SalesUser>, PageError>>,
}

impl UsersData {
    fn reload(self) {
        self.seats.refetch();
        self.crm.refetch();
        self.users.refetch();
    }
}

fn crm_path(search: &str, page: i64) -> String {
    let search: String = js_sys::encode_uri_component(search).into();
    format!("/api/v1/admin/crm/users?search={search}&page={page}&page_size={CRM_PAGE_SIZE}")
}

#[component]
fn UsersSection() -> impl IntoView {
    let search_input = RwSignal::new(String::new());
    let search = RwSignal::new(String::new());
    let page = RwSignal::new(1i64);
    let selected = RwSignal::new(BTreeSet::<String>::new());
    let lists = UsersData {
        seats: get("/api/v1/admin/seats"),
        crm: LocalResource::new(move || {
            let path = crm_path(&search.get(), page.get());
            async move { rpc::api::<CrmUsersPage>("GET", &path, None).await }
        }),
        users: get("/api/v1/admin/users"),
    };
    let progress = RwSignal::new(None::<Progress>);
    let import = RwSignal::new(ImportState::Idle);
    let importing = Signal::derive(move || import.with(|s| matches!(s, ImportState::Busy)));
    let seats_now = move || lists.seats.get().and_then(Result::ok);
    let run_import = move || {
        let ids: Vec<String> = selected.get_untracked().into_iter().collect();
        if ids.is_empty() {
            import.set(ImportState::Problem(t("adminSelectFirst")));
            return;
        }
        let names: Vec<CrmUserRow> = lists
            .crm
            .get_untracked()
            .and_then(Result::ok)
            .map(|p| p.users)
            .unwrap_or_default();
        import.set(ImportState::Busy);
        spawn_local(async move {
            let mut counter = Progress::new(ids.len());
            progress.set(Some(counter));
            let mut report = ImportReport::default();
            let mut refused: Vec<ImportRefusal> = Vec::new();
            for chunk in progress::chunks(&ids, IMPORT_CHUNK) {
                let result: Result<ImportResult, PageError> = rpc::api(
                    "POST",
                    "/api/v1/admin/users/import",
                    Some(json!({"crm_user_ids": chunk})),
                )
                .await;
                match result {
                    Ok(result) => {
                        report.imported += result.imported.len();
                        report.mapped += result.mapped.len();
                        refused.extend(result.refused);
                    }
                    Err(error) => {
                        report.failure = Some(error);
                        break;
                    }
                }
                counter.advance(chunk.len());
                progress.set(Some(counter));
            }
            report.refused = refused
                .into_iter()
                .map(|r| {
                    let who = names
                        .iter()
                        .find(|u| u.crm_user_id == r.crm_user_id)
                        .map_or_else(|| r.crm_user_id.clone(), |u| u.name.clone());
                    (r.code, who, r.message)
                })
                .collect();
            selected.set(BTreeSet::new());
            import.set(ImportState::Done(report));
            lists.reload();
        });
    };
    let crm_table = move |crm: CrmUsersPage| {
        view! { <CrmTable crm selected page importing run_import/> }
    };
    view! {
        <Section title="adminUsersHeading" testid="admin-users" anchor=true>
            <div
                data-testid="seats"
                data-used=move || seats_now().map(|s| s.used.to_string())
                data-left=move || seats_now().map(|s| s.left.to_string())
                data-limit=move || seats_now().map(|s| s.limit.to_string())
            >
                <Loaded
                    data=data(lists.seats)
                    ready=|seats: Seats| {
                        let used = [seats.used, seats.limit, seats.left].map(|n| n.to_string());
                        view! {
                            <p class="seats">{t_with("adminSeats", &[&used[0], &used[1], &used[2]])}</p>
                            {(seats.left <= 0)
                                .then(|| view! { <p class="alert" data-testid="no-seats">{t("adminNoSeatsLeft")}</p> })}
                        }
                    }
                />
            </div>
            <div>
                <h3>{t("adminImportHeading")}</h3>
                <Note message="adminImportNote"/>
                <form
                    class="search"
                    role="search"
                    on:submit=move |event| {
                        event.prevent_default();
                        search.set(search_input.get_untracked().trim().to_string());
                        page.set(1);
                    }
                >
                    <TextInput id="admin-crm-search" label=t("adminSearchLabel") kind="search" value=search_input/>
                    <Button label=t("adminSearch") testid="crm-search" submit=true on_click=|| {}/>
                </form>
                <div data-testid="crm-users">
                    <Loaded data=data(lists.crm) ready=crm_table/>
                </div>
                <ProgressBar testid="import-progress" label="adminProgressLabel" progress/>
                <ImportStatus import/>
            </div>
            <div>
                <h3>{t("adminUsersListHeading")}</h3>
                <SalesUsers lists/>
            </div>
        </Section>
    }
}

/// One page of the CRM's users, to pick whom to import.
#[component]
fn CrmTable<F>(
    crm: CrmUsersPage,
    selected: RwSignal<BTreeSet<String>>,
    page: RwSignal<i64>,
    importing: Signal<bool>,
    run_import: F,
) -> impl IntoView
where
    F: Fn() + Copy + Send + Sync + 'static,
{
    if crm.users.is_empty() {
        return view! { <Empty message="adminNoCrmUsers"/> }.into_any();
    }
    let selectable: Vec<String> = crm
        .users
        .iter()
        .filter(|u| u.sales_user_id.is_none())
        .map(|u| u.crm_user_id.clone())
        .collect();
    let all_ids = selectable.clone();
    let select_all = SelectAll {
        id: "crm-select-all",
        testid: "select-all",
        label: "adminSelectAllPage",
        all: Signal::derive(move || {
            !all_ids.is_empty() && selected.with(|s| all_ids.iter().all(|id| s.contains(id)))
        }),
        toggle: Callback::new(move |on: bool| {
            selected.update(|s| {
                for id in &selectable {
                    if on {
                        s.insert(id.clone());
                    } else {
                        s.remove(id);
                    }
                }
            })
        }),
    };
    let rows = crm
        .users
        .into_iter()
        .enumerate()
        .map(|(i, user)| {
            let imported = user.sales_user_id.is_some();
            let status = if imported {
                "adminAlreadyImported"
            } else if !user.api_enabled {
                "adminNoApiAccess"
            } else {
                "adminNotImported"
            };
            let id = user.crm_user_id.clone();
            let mine = id.clone();
            let checked = move || !imported && selected.with(|s| s.contains(&mine));
            let toggle = id.clone();
            let row_id = id.clone();
            let label = t_with("adminSelectUser", &[&user.name]);
            view! {
                <tr data-crm-user-id=row_id>
                    <td>
                        <label class="check" for=format!("crm-user-{i}")>
                            // Labelled by the user's name (the label shows no text).
                            <input
                                type="checkbox"
                                id=format!("crm-user-{i}")
                                value=id
                                data-testid="crm-user-check"
                                aria-label=label
                                disabled=imported
                                prop:checked=checked
                                on:change=move |event| {
                                    let on = event_target_checked(&event);
                                    selected.update(|s| {
                                        if on {
                                            s.insert(toggle.clone());
                                        } else {
                                            s.remove(&toggle);
                                        }
                                    });
                                }
                            />
                        </label>
                    </td>
                    <Cell column="adminColName">{user.name.clone()}</Cell>
                    <Cell column="adminColUsername">{user.username.clone()}</Cell>
                    <Cell column="adminColTitle">{user.title.clone().unwrap_or_default()}</Cell>
                    <td data-label=t("adminColStatus") data-status=status>{t(status)}</td>
                </tr>
            }
        })
        .collect_view();
    let pages = progress::page_count(crm.total, crm.page_size);
    view! {
        <Table
            caption="adminCrmUsersCaption"
            columns=&["adminColName", "adminColUsername", "adminColTitle", "adminColStatus"]
            select_all=select_all
        >
            {rows}
        </Table>
        <Pager
            testid="crm"
            page=crm.page
            pages
            total=crm.total
            busy=importing
            on_page=Callback::new(move |to: i64| page.set(to))
        >
            <Button label=t("adminImport") testid="import" primary=true busy=importing on_click=run_import/>
        </Pager>
    }
    .into_any()
}

/// What the last import did: counts, then each refusal with its reason.
#[component]
fn ImportStatus(import: RwSignal<ImportState>) -> impl IntoView {
    let kind = move || {
        import.with(|s| match s {
            ImportState::Idle => None,
            ImportState::Busy => Some("busy"),
            ImportState::Problem(_) => Some("error"),
            ImportState::Done(r) if r.failure.is_some() || !r.refused.is_empty() => Some("error"),
            ImportState::Done(_) => Some("ok"),
        })
    };
    let count = move |refused: bool| {
        import.with(|s| match s {
            ImportState::Done(r) if refused => Some(r.refused.len().to_string()),
            ImportState::Done(r) => Some(r.imported.to_string()),
            _ => None,
        })
    };
    let content = move || match import.get() {
        ImportState::Idle => ().into_any(),
        ImportState::Busy => t("adminImporting").into_any(),
        ImportState::Problem(text) => text.into_any(),
        ImportState::Done(report) => {
            let summary = t_with(
                "adminImportSummary",
                &[
                    &report.imported.to_string(),
                    &report.mapped.to_string(),
                    &report.refused.len().to_string(),
                ],
            );
            let failure = report.failure.map(|error| view! { <ErrorBox error/> });
            let refusals = (!report.refused.is_empty()).then(|| {
                let items = report
                    .refused
                    .into_iter()
                    .map(|(code, who, why)| view! { <li data-code=code>{format!("{who}: {why}")}</li> })
                    .collect_view();
                view! { <ul data-testid="refusals">{items}</ul> }
            });
            view! {
                <span>{summary}</span>
                {failure}
                {refusals}
            }
            .into_any()
        }
    };
    view! {
        <div
            class="status"
            role="status"
            data-testid="import-status"
            data-kind=kind
            data-imported=move || count(false)
            data-refused=move || count(true)
        >
            {content}
        </div>
    }
}

/// The account's sales users, with refresh from the CRM and per-user actions.
#[component]
fn SalesUsers(lists: UsersData) -> impl IntoView {
    let status = RwSignal::new(Status::default());
    let refreshing = RwSignal::new(false);
    let refresh = move || {
        refreshing.set(true);
        run(status, async move {
            // One request does the whole refresh: an indeterminate bar shows meanwhile.
            let result: Result<RefreshReport, PageError> =
                rpc::api("POST", "/api/v1/admin/users/refresh", None).await;
            refreshing.set(false);
            let report = result?;
            status.set(Status::ok(t_with(
                "adminRefreshReport",
                &[
                    &report.checked.to_string(),
                    &report.updated.to_string(),
                    &report.deactivated.to_string(),
                ],
            )));
            lists.seats.refetch();
            lists.users.refetch();
            Ok(())
        });
    };
    let table = move |users: Vec<SalesUser>| {
        let rows = users
            .into_iter()
            .map(|user| view! { <SalesUserRow user lists status/> })
            .collect_view();
        view! {
            <Table
                caption="adminUsersCaption"
                columns=&["adminColName", "adminColEmail", "adminColRole", "adminColStatus", "adminColActions"]
            >
                {rows}
            </Table>
        }
    };
    view! {
        <div data-testid="sales-users">
            <ButtonRow>
                <Button label=t("adminRefresh") testid="refresh" busy=refreshing on_click=refresh/>
            </ButtonRow>
            <Working testid="refresh-progress" label="adminRefreshing" when=refreshing/>
            <StatusLine testid="users-status" status/>
            <Loaded data=data(lists.users) ready=table/>
        </div>
    }
}

#[component]
fn SalesUserRow(user: SalesUser, lists: UsersData, status: RwSignal<Status>) -> impl IntoView {
    let active = user.status == UserStatus::Active;
    let toggle_label = t(if active {
        "adminDeactivate"
    } else {
        "adminReactivate"
    });
    let id = user.id.clone();
    let toggle = move || {
        let id = id.clone();
        async move {
            let next = if active { "deactivated" } else { "active" };
            let _: SalesUser = rpc::api(
                "PATCH",
                &format!("/api/v1/admin/users/{id}"),
                Some(json!({"status": next})),
            )
            .await?;
            lists.seats.refetch();
            lists.users.refetch();
            Ok(())
        }
    };
    // Removing asks once more, in place (no modal dialog).
    let armed = RwSignal::new(false);
    let removing = RwSignal::new(false);
    let id = user.id.clone();
    let remove = move || {
        if !armed.get_untracked() {
            armed.set(true);
            return;
        }
        removing.set(true);
        let id = id.clone();
        spawn_local(async move {
            let done: Result<Value, PageError> =
                rpc::api("DELETE", &format!("/api/v1/admin/users/{id}"), None).await;
            match done {
                Ok(_) => lists.reload(),
                Err(error) => {
                    removing.try_set(false);
                    status.set(Status::error(&error));
                }
            }
        });
    };
    let toggle_aria = format!("{toggle_label} {}", user.name);
    let remove_aria = format!("{} {}", t("adminRemove"), user.name);
    let (row_id, row_email) = (user.id.clone(), user.email.clone());
    view! {
        <tr data-user-id=row_id data-email=row_email>
            <Cell column="adminColName">{user.name}</Cell>
            <Cell column="adminColEmail">{user.email}</Cell>
            <Cell column="adminColRole">
                {t(if user.role == Role::Admin { "adminRoleAdmin" } else { "adminRoleSales" })}
            </Cell>
            <Cell column="adminColStatus">
                {t(if active { "adminStatusActive" } else { "adminStatusDeactivated" })}
            </Cell>
            <Cell column="adminColActions">
                <ButtonRow>
                    <ActionButton
                        label=toggle_label.clone()
                        testid=if active { "deactivate" } else { "reactivate" }
                        status
                        work=toggle
                        aria_label=toggle_aria
                    />
                    <Button
                        label=Signal::derive(move || t(if armed.get() { "adminRemoveConfirm" } else { "adminRemove" }))
                        testid="remove"
                        busy=removing
                        aria_label=remove_aria
                        on_click=remove
                    />
                </ButtonRow>
            </Cell>
        </tr>
    }
}

// ----- Salesforce connection ---------------------------------------------------------

#[component]
fn CrmSection() -> impl IntoView {
    let connection = get::<TeamSyncStatus>("/api/v1/admin/crm/connection");
    let status = RwSignal::new(Status::default());
    let shown = move |current: TeamSyncStatus| view! { <CrmConnection current connection status/> };
    view! {
        <Section title="adminCrmHeading" testid="admin-crm" anchor=true>
            <Loaded data=data(connection) ready=shown/>
            <StatusLine testid="crm-status" status/>
        </Section>
    }
}

#[component]
fn CrmConnection(
    current: TeamSyncStatus,
    connection: LocalResource<Result<TeamSyncStatus, PageError>>,
    status: RwSignal<Status>,
) -> impl IntoView {
    let connected = current.connected;
    let team = current.team_sync.clone().map(|team| {
        let line = t_with(
            "adminTeamSyncUser",
            &[&team.crm_username, &team.user_email, &team.status],
        );
        let no_api =
            (!team.api_enabled).then(|| view! { <p class="alert">{t("errNoApiAccessDetail")}</p> });
        let failed = team
            .last_error
            .map(|error| view! { <p class="alert">{error}</p> });
        view! {
            <p>{line}</p>
            {no_api}
            {failed}
        }
    });
    let hint = current
        .hint
        .clone()
        .map(|hint| view! { <p class="note">{hint}</p> });
    let choice = if current.candidates.is_empty() {
        view! { <Note message="adminNoCandidates"/> }.into_any()
    } else {
        let options: Vec<(String, String)> = current
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
        let chosen = RwSignal::new(
            current
                .team_sync
                .as_ref()
                .map(|c| c.id.clone())
                .or_else(|| options.first().map(|(id, _)| id.clone()))
                .unwrap_or_default(),
        );
        let choose = move || async move {
            let _: TeamSyncStatus = rpc::api(
                "PUT",
                "/api/v1/admin/crm/connection",
                Some(json!({"connection_id": chosen.get_untracked()})),
            )
            .await?;
            connection.refetch();
            Ok(())
        };
        view! {
            <Select id="admin-team-sync" label=t("adminChooseTeamSync") options value=chosen/>
            <ButtonRow>
                <ActionButton label=t("adminUseTeamSync") testid="choose-team-sync" status work=choose/>
            </ButtonRow>
        }
            .into_any()
    };
    // Salesforce's sign-in runs in the browser's identity window and the code goes to the
    // server under this admin's own token (the connection is bound to who started it).
    let connect = move || async move {
        let _: MyCrmConnection = rpc::connect_crm(None).await?;
        connection.refetch();
        Ok(())
    };
    let reset = move || async move {
        let _: ResetResult = rpc::api("POST", "/api/v1/admin/crm/connection/reset", None).await?;
        connection.refetch();
        Ok(())
    };
    view! {
        <p
            class=if connected { "badge ok" } else { "badge warn" }
            data-testid="crm-state"
            data-connected=if connected { "true" } else { "false" }
        >
            {t(if connected { "adminCrmConnected" } else { "adminCrmNotConnected" })}
        </p>
        {team}
        {hint}
        <div>
            {choice}
            <ButtonRow>
                <ActionButton label=t("adminConnectMine") testid="connect-mine" status work=connect/>
                <ActionButton label=t("adminResetConnection") testid="reset-connection" status work=reset/>
            </ButtonRow>
        </div>
    }
}

// ----- Automatic user sync and workflows ---------------------------------------------

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

fn name_required(name: &str) -> Result<String, PageError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(PageError::local("name_required", &t("adminNameRequired")));
    }
    Ok(name.to_string())
}

#[component]
fn AutoSyncSection() -> impl IntoView {
    let setting = get::<AutoSyncSettings>("/api/v1/admin/autosync");
    let workflows = get::<Vec<Workflow>>("/api/v1/admin/workflows");
    let status = RwSignal::new(Status::default());
    let shown = move |current: AutoSyncSettings| {
        let enabled = RwSignal::new(current.enabled);
        let save = move || async move {
            let _: AutoSyncSettings = rpc::api(
                "PUT",
                "/api/v1/admin/autosync",
                Some(json!({"enabled": enabled.get_untracked()})),
            )
            .await?;
            Ok(())
        };
        view! {
            <ButtonRow>
                <Checkbox id="admin-autosync-on" label=t("adminAutoSyncOn") checked=enabled/>
                <ActionButton label=t("settingsSave") testid="autosync-save" status work=save/>
            </ButtonRow>
        }
    };
    view! {
        <Section title="adminAutoSyncHeading" testid="admin-autosync" anchor=true>
            <Note message="adminAutoSyncNote"/>
            <div>
                <Loaded data=data(setting) ready=shown/>
                <StatusLine testid="autosync-status" status/>
            </div>
            <Workflows workflows/>
        </Section>
    }
}

#[component]
fn Workflows(workflows: LocalResource<Result<Vec<Workflow>, PageError>>) -> impl IntoView {
    let status = RwSignal::new(Status::default());
    let list = move |list: Vec<Workflow>| {
        if list.is_empty() {
            return view! { <Empty message="adminNoWorkflows"/> }.into_any();
        }
        let items = list
            .into_iter()
            .map(|workflow| {
                let active = RwSignal::new(workflow.active);
                let id = workflow.id.clone();
                let patch = move |_| {
                    let (id, on) = (id.clone(), active.get_untracked());
                    run(status, async move {
                        let _: Workflow = rpc::api(
                            "PATCH",
                            &format!("/api/v1/admin/workflows/{id}"),
                            Some(json!({"active": on})),
                        )
                        .await?;
                        Ok(())
                    });
                };
                let id = workflow.id.clone();
                let delete = move || {
                    let id = id.clone();
                    async move {
                        let _: Value =
                            rpc::api("DELETE", &format!("/api/v1/admin/workflows/{id}"), None).await?;
                        workflows.refetch();
                        Ok(())
                    }
                };
                let shown = format!(
                    "{} — {} ({})",
                    workflow.name,
                    workflow.crm_object.as_str(),
                    trigger_label(workflow.trigger)
                );
                let checkbox_id = format!("wf-active-{}", workflow.id);
                let for_id = checkbox_id.clone();
                view! {
                    <li data-workflow-id=workflow.id>
                        <span>{shown}</span>
                        <ButtonRow>
                            <label class="check" for=for_id>
                                <input
                                    type="checkbox"
                                    id=checkbox_id
                                    bind:checked=active
                                    on:change=patch
                                />
                                {t("adminWorkflowActive")}
                            </label>
                            <ActionButton label=t("adminDelete") testid="workflow-delete" status work=delete/>
                        </ButtonRow>
                    </li>
                }
            })
            .collect_view();
        view! { <ul class="rows">{items}</ul> }.into_any()
    };
    let name = RwSignal::new(String::new());
    let object = RwSignal::new("Opportunity".to_string());
    let trigger = RwSignal::new("created".to_string());
    let objects: Vec<(String, String)> = OBJECTS
        .iter()
        .map(|o| (o.as_str().to_string(), o.as_str().to_string()))
        .collect();
    let triggers: Vec<(String, String)> = TRIGGERS
        .iter()
        .map(|(tr, n)| (tr.as_str().to_string(), t(n)))
        .collect();
    let create = move || async move {
        let name = name_required(&name.get_untracked())?;
        let _: Workflow = rpc::api(
            "POST",
            "/api/v1/admin/workflows",
            Some(json!({"name": name, "crm_object": object.get_untracked(), "trigger": trigger.get_untracked()})),
        )
        .await?;
        workflows.refetch();
        Ok(())
    };
    view! {
        <div>
            <h3>{t("adminWorkflowsHeading")}</h3>
            <Loaded data=data(workflows) ready=list/>
            <fieldset>
                <legend>{t("adminNewWorkflow")}</legend>
                <div class="field-row">
                    <TextInput id="wf-name" label=t("adminWorkflowName") value=name/>
                    <Select id="wf-object" label=t("adminWorkflowObject") options=objects value=object/>
                    <Select id="wf-trigger" label=t("adminWorkflowTrigger") options=triggers value=trigger/>
                </div>
                <ButtonRow>
                    <ActionButton label=t("adminCreate") testid="workflow-create" status work=create/>
                </ButtonRow>
            </fieldset>
            <StatusLine testid="workflows-status" status/>
        </div>
    }
}

// ----- Teams -------------------------------------------------------------------------

#[component]
fn TeamsSection() -> impl IntoView {
    let teams = LocalResource::new(|| async {
        let teams: Vec<Team> = rpc::api("GET", "/api/v1/admin/teams", None).await?;
        let users: Vec<SalesUser> = rpc::api("GET", "/api/v1/admin/users", None).await?;
        Ok((teams, users))
    });
    let status = RwSignal::new(Status::default());
    let list = move |(list, users): (Vec<Team>, Vec<SalesUser>)| {
        let empty = list
            .is_empty()
            .then(|| view! { <Empty message="adminNoTeams"/> });
        let groups = list
            .into_iter()
            .map(|team| view! { <TeamGroup team users=users.clone() teams status/> })
            .collect_view();
        view! {
            {empty}
            {groups}
        }
    };
    let name = RwSignal::new(String::new());
    let create = move || async move {
        let name = name_required(&name.get_untracked())?;
        let _: Team = rpc::api("POST", "/api/v1/admin/teams", Some(json!({"name": name}))).await?;
        teams.refetch();
        Ok(())
    };
    view! {
        <Section title="adminTeamsHeading" testid="admin-teams" anchor=true>
            <Loaded data=Signal::derive(move || teams.get()) ready=list/>
            <fieldset>
                <legend>{t("adminNewTeam")}</legend>
                <TextInput id="team-new-name" label=t("adminTeamName") value=name/>
                <ButtonRow>
                    <ActionButton label=t("adminCreate") testid="team-create" status work=create/>
                </ButtonRow>
            </fieldset>
            <StatusLine testid="teams-status" status/>
        </Section>
    }
}

type TeamsData = LocalResource<Result<(Vec<Team>, Vec<SalesUser>), PageError>>;

#[component]
fn TeamGroup(
    team: Team,
    users: Vec<SalesUser>,
    teams: TeamsData,
    status: RwSignal<Status>,
) -> impl IntoView {
    let name = RwSignal::new(team.name.clone());
    let id = team.id.clone();
    let rename = move || {
        let id = id.clone();
        async move {
            let _: Team = rpc::api(
                "PATCH",
                &format!("/api/v1/admin/teams/{id}"),
                Some(json!({"name": name.get_untracked().trim()})),
            )
            .await?;
            teams.refetch();
            Ok(())
        }
    };
    let id = team.id.clone();
    let delete = move || {
        let id = id.clone();
        async move {
            let _: Value = rpc::api("DELETE", &format!("/api/v1/admin/teams/{id}"), None).await?;
            teams.refetch();
            Ok(())
        }
    };
    let members: Vec<(String, RwSignal<bool>)> = users
        .iter()
        .map(|user| {
            let member = team.members.iter().any(|m| m.user_id == user.id);
            (user.id.clone(), RwSignal::new(member))
        })
        .collect();
    let boxes = users
        .iter()
        .zip(&members)
        .map(|(user, (_, checked))| {
            view! {
                <Checkbox
                    id=format!("team-{}-user-{}", team.id, user.id)
                    label=format!("{} ({})", user.name, user.email)
                    checked=*checked
                    value=user.id.clone()
                />
            }
        })
        .collect_view();
    let id = team.id.clone();
    let save = move || {
        let ids: Vec<String> = members
            .iter()
            .filter(|(_, on)| on.get_untracked())
            .map(|(id, _)| id.clone())
            .collect();
        let id = id.clone();
        async move {
            let _: Value = rpc::api(
                "PUT",
                &format!("/api/v1/admin/teams/{id}/members"),
                Some(json!({"user_ids": ids})),
            )
            .await?;
            teams.refetch();
            Ok(())
        }
    };
    view! {
        <fieldset data-team-id=team.id.clone()>
            <legend>{team.name.clone()}</legend>
            <TextInput id=format!("team-name-{}", team.id) label=t("adminTeamName") value=name/>
            <ButtonRow>
                <ActionButton label=t("adminRename") testid="team-rename" status work=rename/>
                <ActionButton label=t("adminDelete") testid="team-delete" status work=delete/>
            </ButtonRow>
            <fieldset>
                <legend>{t("adminTeamMembers")}</legend>
                {boxes}
                <ButtonRow>
                    <ActionButton label=t("adminSaveMembers") testid="team-members-save" status work=save/>
                </ButtonRow>
            </fieldset>
        </fieldset>
    }
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

#[component]
fn PrivilegesSection() -> impl IntoView {
    let current = get::<PrivilegeSettings>("/api/v1/admin/privileges");
    let status = RwSignal::new(Status::default());
    let shown = move |current: PrivilegeSettings| {
        let hidden: Vec<(PanelComponent, RwSignal<bool>)> = PanelComponent::ALL
            .into_iter()
            .map(|c| (c, RwSignal::new(current.hidden_components.contains(&c))))
            .collect();
        let boxes = hidden
            .iter()
            .map(|(component, checked)| {
                let name = component_message(*component);
                view! { <Checkbox id=format!("priv-{name}") label=t(name) checked=*checked/> }
            })
            .collect_view();
        let save = move || {
            let list: Vec<PanelComponent> = hidden
                .iter()
                .filter(|(_, on)| on.get_untracked())
                .map(|(c, _)| *c)
                .collect();
            async move {
                let _: PrivilegeSettings = rpc::api(
                    "PUT",
                    "/api/v1/admin/privileges",
                    Some(json!({"hidden_components": list})),
                )
                .await?;
                Ok(())
            }
        };
        view! {
            <Note message="adminPrivilegesNote"/>
            <fieldset>
                <legend>{t("adminHiddenLegend")}</legend>
                {boxes}
            </fieldset>
            <ButtonRow>
                <ActionButton label=t("settingsSave") testid="privileges-save" status work=save/>
            </ButtonRow>
        }
    };
    view! {
        <Section title="adminPrivilegesHeading" testid="admin-privileges" anchor=true>
            <Loaded data=data(current) ready=shown/>
            <StatusLine testid="privileges-status" status/>
        </Section>
    }
}

// ----- SCIM tokens -------------------------------------------------------------------

#[component]
fn ScimSection() -> impl IntoView {
    let tokens = get::<Vec<ScimToken>>("/api/v1/admin/scim-tokens");
    let issued = RwSignal::new(None::<ScimTokenIssued>);
    let status = RwSignal::new(Status::default());
    let list = move |tokens_now: Vec<ScimToken>| {
        let live: Vec<ScimToken> = tokens_now
            .into_iter()
            .filter(|t_| t_.revoked_at.is_none())
            .collect();
        if live.is_empty() {
            return view! { <Empty message="adminNoScimTokens"/> }.into_any();
        }
        let rows = live
            .into_iter()
            .map(|token| {
                let id = token.id.clone();
                let revoke = move || {
                    let id = id.clone();
                    async move {
                        let _: Value =
                            rpc::api("DELETE", &format!("/api/v1/admin/scim-tokens/{id}"), None)
                                .await?;
                        tokens.refetch();
                        Ok(())
                    }
                };
                view! {
                    <li data-token-id=token.id.clone()>
                        <span>{token.name.clone()}</span>
                        <ActionButton
                            label=t("adminRevoke")
                            testid="scim-revoke"
                            status
                            work=revoke
                            aria_label=format!("{} {}", t("adminRevoke"), token.name)
                        />
                    </li>
                }
            })
            .collect_view();
        view! { <ul class="rows">{rows}</ul> }.into_any()
    };
    let name = RwSignal::new(String::new());
    let create = move || async move {
        let name = name_required(&name.get_untracked())?;
        let token: ScimTokenIssued = rpc::api(
            "POST",
            "/api/v1/admin/scim-tokens",
            Some(json!({"name": name})),
        )
        .await?;
        issued.set(Some(token));
        tokens.refetch();
        Ok(())
    };
    view! {
        <Section title="adminScimHeading" testid="admin-scim" anchor=true>
            <Note message="adminScimNote"/>
            <div data-testid="scim-issued">
                {move || issued.get().map(|token| view! { <IssuedToken token/> })}
            </div>
            <Loaded data=data(tokens) ready=list/>
            <fieldset>
                <legend>{t("adminNewScimToken")}</legend>
                <TextInput id="scim-name" label=t("adminScimName") value=name/>
                <ButtonRow>
                    <ActionButton label=t("adminCreate") testid="scim-create" status work=create/>
                </ButtonRow>
            </fieldset>
            <StatusLine testid="scim-status" status/>
        </Section>
    }
}

/// The new token, shown once, selected, with a copy button.
#[component]
fn IssuedToken(token: ScimTokenIssued) -> impl IntoView {
    let value = RwSignal::new(token.token.clone());
    let copied = RwSignal::new(Status::default());
    let input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = input.get() {
            input.select();
        }
    });
    let secret = token.token.clone();
    let copy = move || {
        browser::copy_text(&secret);
        copied.set(Status::ok(t("adminCopied")));
    };
    view! {
        <div class="issued">
            <p>{t("adminScimShownOnce")}</p>
            <TextInput
                id="scim-token-value"
                label=t_with("adminScimTokenFor", &[&token.name])
                value
                readonly=true
                node_ref=input
            />
            <ButtonRow>
                <Button label=t("adminCopy") testid="scim-copy" on_click=copy/>
            </ButtonRow>
            <StatusLine testid="scim-copy-status" status=copied/>
        </div>
    }
}
