//! The shared pieces every extension page and the panel are built from (Leptos components):
//! page frame, section, field with its label and error, button row, buttons that show they are
//! busy, status line, error box, loading and empty states, progress, and a table with a
//! select-all column and paging. Text from a server or a CRM is always inserted as text (Leptos
//! makes text nodes and escaped attributes; nothing here sets inner HTML). Every control is a
//! real `<button>`, `<input>` with its `<label>`, or `<select>`: keyboard use comes from the
//! browser.

use super::i18n::{t, t_with};
use crate::pages::progress::Progress;
use crate::pages::PageError;
use leptos::prelude::*;

/// What a status line says: its kind (`ok`, `error`, `busy`, or none for neutral), the text,
/// and the error's code for an error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    pub kind: Option<&'static str>,
    pub text: String,
    pub code: Option<String>,
}

impl Status {
    pub fn busy(text: String) -> Status {
        Status {
            kind: Some("busy"),
            text,
            code: None,
        }
    }

    pub fn ok(text: String) -> Status {
        Status {
            kind: Some("ok"),
            text,
            code: None,
        }
    }

    /// A problem the page found itself (no error code).
    pub fn problem(text: String) -> Status {
        Status {
            kind: Some("error"),
            text,
            code: None,
        }
    }

    /// The advice for a well-known error, then the server's message.
    pub fn error(error: &PageError) -> Status {
        let text = match error.advice_message() {
            Some(advice) => format!("{} {}", t(advice), error.message),
            None => error.message.clone(),
        };
        Status {
            kind: Some("error"),
            text,
            code: Some(error.code.clone()),
        }
    }

    pub fn is_busy(&self) -> bool {
        self.kind == Some("busy")
    }
}

/// A page of the extension: `<main id="salespane-page" class="page">` with its header.
/// `state` and `step` land in `data-state` / `data-step` (what tests and styles read).
#[component]
pub fn PageFrame(
    page: &'static str,
    heading: &'static str,
    #[prop(optional, into)] subtitle: MaybeProp<String>,
    #[prop(optional, into)] state: MaybeProp<String>,
    #[prop(optional, into)] step: MaybeProp<String>,
    #[prop(optional, into)] busy: Signal<bool>,
    children: Children,
) -> impl IntoView {
    view! {
        <main
            id="salespane-page"
            class="page"
            data-page=page
            data-state=move || state.get()
            data-step=move || step.get()
            aria-busy=move || busy.get().then_some("true")
        >
            <header>
                <h1>{t(heading)}</h1>
                {move || subtitle.get().map(|text| view! { <p class="note">{text}</p> })}
            </header>
            {children()}
        </main>
    }
}

/// A `<section class="card">` with its heading (a `_locales` message) and a test id; `anchor`
/// also makes the test id its `id` (for a table of contents).
#[component]
pub fn Section(
    title: &'static str,
    #[prop(into)] testid: String,
    #[prop(optional)] anchor: bool,
    #[prop(optional)] heading_ref: Option<NodeRef<leptos::html::H2>>,
    children: Children,
) -> impl IntoView {
    let heading_id = format!("{testid}-title");
    let labelled_by = heading_id.clone();
    let heading_ref = heading_ref.unwrap_or_default();
    let anchor_id = anchor.then(|| testid.clone());
    view! {
        <section class="card" data-testid=testid id=anchor_id aria-labelledby=labelled_by>
            <h2 id=heading_id tabindex="-1" node_ref=heading_ref>{t(title)}</h2>
            {children()}
        </section>
    }
}

/// A paragraph of muted explanatory text (a `_locales` message).
#[component]
pub fn Note(message: &'static str) -> impl IntoView {
    view! { <p class="note">{t(message)}</p> }
}

/// What a part of a page shows while its data loads.
#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="note" data-testid="loading">{t("pageLoading")}</p> }
}

/// What a list shows when it has nothing in it (a `_locales` message).
#[component]
pub fn Empty(message: &'static str) -> impl IntoView {
    view! { <p class="note" data-testid="empty">{t(message)}</p> }
}

/// An alert saying what went wrong and what to do: our advice for known codes, then the
/// server's message as text.
#[component]
pub fn ErrorBox(error: PageError) -> impl IntoView {
    let advice = error
        .advice_message()
        .map(|name| view! { <p>{t(name)}</p> });
    view! {
        <div class="alert" role="alert" data-testid="error" data-code=error.code.clone()>
            {advice}
            <p class="detail">{error.message.clone()}</p>
        </div>
    }
}

/// Data that loads: a loading note until `data` has a value, then `ready` with it, or the
/// error box.
#[component]
pub fn Loaded<T, V, F>(
    #[prop(into)] data: Signal<Option<Result<T, PageError>>>,
    ready: F,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    V: IntoView + 'static,
    F: Fn(T) -> V + Send + Sync + 'static,
{
    move || match data.get() {
        None => view! { <Loading/> }.into_any(),
        Some(Err(error)) => view! { <ErrorBox error/> }.into_any(),
        Some(Ok(value)) => ready(value).into_any(),
    }
}

/// A status line (`role="status"`): results of an action, read out by screen readers.
#[component]
pub fn StatusLine(#[prop(into)] testid: String, status: RwSignal<Status>) -> impl IntoView {
    view! {
        <p
            class="status"
            role="status"
            data-testid=testid
            data-kind=move || status.with(|s| s.kind)
            data-code=move || status.with(|s| s.code.clone())
        >
            {move || status.with(|s| s.text.clone())}
        </p>
    }
}

/// A row of buttons that wraps on narrow screens.
#[component]
pub fn ButtonRow(children: Children) -> impl IntoView {
    view! { <div class="button-row">{children()}</div> }
}

/// A `type="button"` button (or the form's submit button) with visible text; disabled and
/// `aria-busy` while `busy`. Enter and Space press it, as browsers do for buttons.
#[component]
pub fn Button<F>(
    #[prop(into)] label: Signal<String>,
    #[prop(into)] testid: String,
    on_click: F,
    #[prop(optional, into)] primary: Signal<bool>,
    #[prop(optional, into)] busy: Signal<bool>,
    #[prop(optional, into)] disabled: Signal<bool>,
    #[prop(optional, into)] aria_label: MaybeProp<String>,
    #[prop(optional)] submit: bool,
) -> impl IntoView
where
    F: Fn() + 'static,
{
    view! {
        <button
            type=if submit { "submit" } else { "button" }
            class=move || primary.get().then_some("primary")
            data-testid=testid
            disabled=move || busy.get() || disabled.get()
            aria-busy=move || busy.get().then_some("true")
            aria-label=move || aria_label.get()
            on:click=move |event| {
                if !submit {
                    event.prevent_default();
                }
                on_click();
            }
        >
            {move || label.get()}
        </button>
    }
}

/// A link that opens in a new tab, styled as a button.
#[component]
pub fn LinkButton(
    #[prop(into)] label: String,
    #[prop(into)] href: String,
    #[prop(into)] testid: String,
) -> impl IntoView {
    view! {
        <a class="button" href=href target="_blank" rel="noopener" data-testid=testid>{label}</a>
    }
}

/// A labelled control with its error line: `<div class="field"><label for=id>…</label>
/// (the control) <p class="field-error" id="{id}-error"></p></div>`. The control (children)
/// carries `id` and is described by the error line (see [`described_by`]).
#[component]
pub fn Field(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    error: RwSignal<String>,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            {children()}
            <p class="field-error" id=described_by(&id) aria-live="polite">
                {move || error.get()}
            </p>
        </div>
    }
}

/// The id of a field's error line.
pub fn described_by(id: &str) -> String {
    format!("{id}-error")
}

/// `aria-invalid` while a field has an error.
fn invalid(error: RwSignal<String>) -> impl Fn() -> Option<&'static str> + Send + Sync + Copy {
    move || error.with(|e| (!e.is_empty()).then_some("true"))
}

/// A labelled `<input>` bound to `value`.
#[component]
pub fn TextInput(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    value: RwSignal<String>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] error: Option<RwSignal<String>>,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] readonly: bool,
    #[prop(optional)] node_ref: Option<NodeRef<leptos::html::Input>>,
) -> impl IntoView {
    let error = error.unwrap_or_default();
    let node_ref = node_ref.unwrap_or_default();
    view! {
        <Field id=id.clone() label error>
            <input
                id=id.clone()
                type=kind
                autocomplete=autocomplete
                readonly=readonly
                aria-describedby=described_by(&id)
                aria-invalid=invalid(error)
                node_ref=node_ref
                bind:value=value
            />
        </Field>
    }
}

/// A labelled `<textarea>` bound to `value`.
#[component]
pub fn TextArea(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    value: RwSignal<String>,
    #[prop(default = 5)] rows: u32,
    #[prop(optional)] error: Option<RwSignal<String>>,
) -> impl IntoView {
    let error = error.unwrap_or_default();
    view! {
        <Field id=id.clone() label error>
            <textarea
                id=id.clone()
                rows=rows
                aria-describedby=described_by(&id)
                aria-invalid=invalid(error)
                bind:value=value
            ></textarea>
        </Field>
    }
}

/// A labelled `<select>` of `(value, label)` options bound to `value`.
#[component]
pub fn Select(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    options: Vec<(String, String)>,
    value: RwSignal<String>,
) -> impl IntoView {
    let chosen = value.get_untracked();
    let options = options
        .into_iter()
        .map(|(option, shown)| {
            let selected = option == chosen;
            view! { <option value=option selected=selected>{shown}</option> }
        })
        .collect_view();
    view! {
        <Field id=id.clone() label error=RwSignal::new(String::new())>
            <select id=id.clone() on:change=move |event| value.set(event_target_value(&event))>
                {options}
            </select>
        </Field>
    }
}

/// A checkbox inside its label (the whole text is clickable), bound to `checked`.
#[component]
pub fn Checkbox(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    checked: RwSignal<bool>,
    #[prop(optional, into)] value: MaybeProp<String>,
    #[prop(optional, into)] testid: MaybeProp<String>,
    #[prop(optional, into)] aria_label: MaybeProp<String>,
    #[prop(optional, into)] disabled: Signal<bool>,
) -> impl IntoView {
    let for_id = id.clone();
    view! {
        <label class="check" for=for_id>
            <input
                type="checkbox"
                id=id
                value=move || value.get()
                data-testid=move || testid.get()
                aria-label=move || aria_label.get()
                disabled=move || disabled.get()
                bind:checked=checked
            />
            {label}
        </label>
    }
}

/// A radio button inside its label; `group` holds the value of the chosen one.
#[component]
pub fn Radio(
    #[prop(into)] name: String,
    #[prop(into)] id: String,
    #[prop(into)] value: String,
    #[prop(into)] label: String,
    group: RwSignal<String>,
) -> impl IntoView {
    let mine = value.clone();
    let checked = move || group.with(|chosen| *chosen == mine);
    let set = value.clone();
    let for_id = id.clone();
    view! {
        <label class="check" for=for_id>
            <input
                type="radio"
                name=name
                id=id
                value=value
                prop:checked=checked
                on:change=move |_| group.set(set.clone())
            />
            {label}
        </label>
    }
}

/// A `<progress>` with its "x of y" text, hidden while there is nothing in progress.
#[component]
pub fn ProgressBar(
    #[prop(into)] testid: String,
    /// `_locales` name of the bar's accessible label.
    label: &'static str,
    #[prop(into)] progress: Signal<Option<Progress>>,
) -> impl IntoView {
    view! {
        <div class="progress" data-testid=testid hidden=move || progress.with(Option::is_none)>
            <progress
                max=move || progress.with(|p| p.map_or(1, |p| p.total.max(1)))
                value=move || progress.with(|p| p.map_or(0, |p| p.done))
                aria-label=t(label)
            ></progress>
            <span data-testid="progress-text" aria-live="polite">
                {move || {
                    progress
                        .get()
                        .map(|p| {
                            let subs = p.substitutions();
                            t_with("progressOf", &[&subs[0], &subs[1]])
                        })
                }}
            </span>
        </div>
    }
}

/// A work in progress without a measure (one request doing it all).
#[component]
pub fn Working(
    #[prop(into)] testid: String,
    label: &'static str,
    #[prop(into)] when: Signal<bool>,
) -> impl IntoView {
    view! {
        <div class="progress" data-testid=testid hidden=move || !when.get()>
            <progress aria-label=t(label)></progress>
            <span>{t(label)}</span>
        </div>
    }
}

/// The select-all box of a [`Table`]: checked while every selectable row is, and `toggle`
/// selects or clears them all.
pub struct SelectAll {
    pub id: &'static str,
    pub testid: &'static str,
    /// `_locales` name of its label.
    pub label: &'static str,
    pub all: Signal<bool>,
    pub toggle: Callback<bool>,
}

/// A table with its caption and column headings (`_locales` names), and optionally a first
/// column of row checkboxes headed by a select-all box. On narrow screens (or at 200% zoom)
/// rows show as stacked cards; each [`Cell`] names its column.
#[component]
pub fn Table(
    caption: &'static str,
    columns: &'static [&'static str],
    #[prop(optional)] select_all: Option<SelectAll>,
    children: Children,
) -> impl IntoView {
    let select_head = select_all.map(|all| {
        let checked = all.all;
        let toggle = all.toggle;
        view! {
            <th scope="col">
                <label class="check" for=all.id>
                    <input
                        type="checkbox"
                        id=all.id
                        data-testid=all.testid
                        prop:checked=move || checked.get()
                        on:change=move |event| toggle.run(event_target_checked(&event))
                    />
                    {t(all.label)}
                </label>
            </th>
        }
    });
    let headings = columns
        .iter()
        .map(|name| view! { <th scope="col">{t(name)}</th> })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table>
                <caption>{t(caption)}</caption>
                <thead>
                    <tr>{select_head} {headings}</tr>
                </thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
}

/// A cell of a [`Table`], labelled with its column's heading for the stacked layout.
#[component]
pub fn Cell(column: &'static str, children: Children) -> impl IntoView {
    view! { <td data-label=t(column)>{children()}</td> }
}

/// Previous / "page x of y" / next; `children` go at the end of the same row.
#[component]
pub fn Pager(
    /// Prefix of the test ids: `{testid}-prev`, `{testid}-page`, `{testid}-next`.
    testid: &'static str,
    #[prop(into)] page: Signal<i64>,
    #[prop(into)] pages: Signal<i64>,
    #[prop(into)] total: Signal<i64>,
    on_page: Callback<i64>,
    #[prop(optional, into)] busy: Signal<bool>,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="button-row">
            <Button
                label=t("adminPrevPage")
                testid=format!("{testid}-prev")
                disabled=Signal::derive(move || page.get() <= 1)
                busy
                on_click=move || on_page.run(page.get_untracked() - 1)
            />
            <span data-testid=format!("{testid}-page")>
                {move || {
                    t_with(
                        "adminPageOf",
                        &[&page.get().to_string(), &pages.get().to_string(), &total.get().to_string()],
                    )
                }}
            </span>
            <Button
                label=t("adminNextPage")
                testid=format!("{testid}-next")
                disabled=Signal::derive(move || page.get() >= pages.get())
                busy
                on_click=move || on_page.run(page.get_untracked() + 1)
            />
            {children()}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_text_is_text_in_an_error_box() {
        let error = PageError {
            status: 403,
            code: "no_seat".into(),
            message: "<img src=x onerror=alert(1)> No seat".into(),
        };
        let html = view! { <ErrorBox error/> }.to_html();
        assert!(html.contains(r#"data-code="no_seat""#), "{html}");
        assert!(html.contains("errNoSeat"), "advice first: {html}");
        assert!(html.contains("&lt;img src=x"), "{html}");
        assert!(!html.contains("<img"), "{html}");
    }

    #[test]
    fn a_field_error_marks_its_input_and_shows_beside_it() {
        let value = RwSignal::new("a@b.example".to_string());
        let error = RwSignal::new(String::new());
        let field = move || {
            view! { <TextInput id="onb-mailbox" label="Mailbox" kind="email" value error/> }
                .to_html()
        };
        let clean = field();
        assert!(
            clean.contains(r#"<label for="onb-mailbox">Mailbox</label>"#),
            "{clean}"
        );
        assert!(
            clean.contains(r#"aria-describedby="onb-mailbox-error""#),
            "{clean}"
        );
        assert!(!clean.contains("aria-invalid"), "{clean}");
        error.set("Use your own mailbox".into());
        let wrong = field();
        assert!(wrong.contains(r#"aria-invalid="true""#), "{wrong}");
        assert!(wrong.contains("Use your own mailbox</p>"), "{wrong}");
    }

    #[test]
    fn progress_is_hidden_until_something_runs_and_counts_up() {
        let progress = RwSignal::new(None::<Progress>);
        let bar = move || {
            view! { <ProgressBar testid="import-progress" label="adminProgressLabel" progress/> }
                .to_html()
        };
        assert!(bar().contains("hidden"), "{}", bar());
        let mut p = Progress::new(25);
        p.advance(10);
        progress.set(Some(p));
        let shown = bar();
        assert!(!shown.contains("hidden"), "{shown}");
        assert!(shown.contains(r#"max="25""#), "{shown}");
        assert!(shown.contains(r#"value="10""#), "{shown}");
        assert!(shown.contains("progressOf(10,25)"), "{shown}");
    }

    #[test]
    fn status_lines_say_kind_and_code() {
        let status = RwSignal::new(Status::default());
        let line = move || view! { <StatusLine testid="crm-status" status/> }.to_html();
        assert!(!line().contains("data-kind"), "{}", line());
        status.set(Status::error(&PageError::local(
            "not_admin",
            "Only admins.",
        )));
        let html = line();
        assert!(html.contains(r#"data-kind="error""#), "{html}");
        assert!(html.contains(r#"data-code="not_admin""#), "{html}");
        assert!(html.contains("errNotAdmin Only admins."), "{html}");
    }

    #[test]
    fn loaded_data_shows_loading_then_the_view_or_the_error() {
        let data = RwSignal::new(None::<Result<String, PageError>>);
        let html = move || {
            view! { <Loaded data ready=|name: String| view! { <p data-testid="name">{name}</p> }/> }
                .to_html()
        };
        assert!(html().contains(r#"data-testid="loading""#));
        data.set(Some(Ok("Acme".into())));
        assert!(
            html().contains(r#"<p data-testid="name">Acme</p>"#),
            "{}",
            html()
        );
        data.set(Some(Err(PageError::from_status(404))));
        assert!(
            html().contains(r#"data-code="not_available""#),
            "{}",
            html()
        );
    }

    #[test]
    fn a_table_heads_its_columns_and_labels_its_cells() {
        let html = view! {
            <Table caption="adminUsersCaption" columns=&["adminColName", "adminColEmail"]>
                <tr>
                    <Cell column="adminColName">"Ada"</Cell>
                    <Cell column="adminColEmail">"ada@acme.example"</Cell>
                </tr>
            </Table>
        }
        .to_html();
        assert!(
            html.contains(r#"<th scope="col">adminColName</th>"#),
            "{html}"
        );
        assert!(
            html.contains(r#"<td data-label="adminColEmail">ada@acme.example</td>"#),
            "{html}"
        );
    }
}
