//! The page shell (header, navigation, footer) and the small components every page uses.

use access::{FieldError, Permission, Principal, Target};
use axum::http::StatusCode;
use kernel::Lang;
use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::capabilities::{CAPABILITIES, Group};
use crate::ctx::{CSRF_FIELD, Ctx};
use crate::i18n::{t, tf};

/// A full page for `ctx` with `title` and `body`.
pub fn page(ctx: &Ctx, title: &str, body: Markup) -> Markup {
    let lang = ctx.lang;
    let role = ctx
        .principal
        .as_ref()
        .and_then(Principal::primary_role)
        .map(|r| r.code());
    shell(
        lang,
        title,
        &ctx.path,
        ctx.principal.as_ref(),
        Some(&ctx.csrf),
        role,
        body,
    )
}

/// An error page; works without a request context.
pub fn error_page(lang: Lang, status: StatusCode, message: &str) -> Markup {
    let body = html! {
        h1 { (t(lang, "error.title")) }
        p.lead { (message) }
        p.muted { "HTTP " (status.as_u16()) }
        p { a.button href="/" { (t(lang, "error.back")) } }
    };
    shell(lang, t(lang, "error.title"), "/", None, None, None, body)
}

fn shell(
    lang: Lang,
    title: &str,
    path: &str,
    principal: Option<&Principal>,
    csrf: Option<&str>,
    role: Option<&str>,
    body: Markup,
) -> Markup {
    let other = match lang {
        Lang::Zh => Lang::En,
        Lang::En => Lang::Zh,
    };
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (t(lang, "app.short")) }
                link rel="stylesheet" href="/assets/app.css";
            }
            body {
                a.skip href="#main" { (t(lang, "app.skip")) }
                header.masthead {
                    div.masthead-inner {
                        a.brand href="/" { span.brand-mark aria-hidden="true" { "LH" } span { (t(lang, "app.name")) } }
                        div.masthead-tools {
                            @if principal.is_some() { a.menu-link href="#nav" { (t(lang, "nav.menu")) } }
                            a.lang-switch href={ "/lang/" (other.code()) "?next=" (crate::error::urlencode(path)) }
                                hreflang=(other.code()) lang=(other.code()) { (t(lang, "lang.switch")) }
                            @if let (Some(p), Some(csrf)) = (principal, csrf) {
                                span.who { (p.display_name) " · " (p.organisation.name(lang == Lang::En)) }
                                form.inline action="/logout" method="post" {
                                    input type="hidden" name=(CSRF_FIELD) value=(csrf);
                                    button.link-button type="submit" { (t(lang, "nav.logout")) }
                                }
                            }
                        }
                    }
                }
                div.demo-banner role="note" { (t(lang, "app.demo_banner")) }
                div.layout.with-nav[principal.is_some()] {
                    @if let Some(p) = principal {
                        (navigation(lang, path, p))
                    }
                    main id="main" data-role=[role] tabindex="-1" { (body) }
                }
                footer.footer { p { (t(lang, "app.footer")) } }
            }
        }
    }
}

fn navigation(lang: Lang, path: &str, principal: &Principal) -> Markup {
    let current = |href: &str| if path == href { Some("page") } else { None };
    html! {
        nav.sidebar id="nav" aria-label=(t(lang, "nav.label")) {
            details.nav-toggle open {
                summary { (t(lang, "nav.menu")) }
                ul.nav-list {
                    li { a href="/" aria-current=[current("/")] { (t(lang, "nav.home")) } }
                    // Links follow the same decision as the pages they lead to.
                    @if principal.authorize(Permission::AdministerAccounts, Target::Platform).is_ok() {
                        li { a href="/admin/users" aria-current=[current("/admin/users")] { (t(lang, "nav.admin")) } }
                    }
                    @if principal.authorize(Permission::ReadLedger, Target::Platform).is_ok() {
                        li { a href="/ledger" aria-current=[current("/ledger")] { (t(lang, "nav.ledger")) } }
                    }
                    li { a href="/account" aria-current=[current("/account")] { (t(lang, "nav.account")) } }
                }
                @for group in Group::ALL {
                    h2.nav-group { (t(lang, group.message_key())) }
                    ul.nav-list {
                        @for cap in CAPABILITIES.iter().filter(|c| c.group == group) {
                            @let href = cap.path();
                            li {
                                a href=(href) aria-current=[current(&href)] {
                                    span.cap-id { (cap.id) }
                                    (t(lang, &cap.title_key()))
                                    @if cap.live_path.is_none() { span.visually-hidden { " (" (t(lang, "status.planned")) ")" } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The hidden CSRF field every form carries.
pub fn csrf_field(ctx: &Ctx) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(ctx.csrf); }
}

/// The summary of input errors at the top of a form, linking to each field.
pub fn error_summary(lang: Lang, errors: &[FieldError]) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.error-summary role="alert" tabindex="-1" aria-labelledby="error-summary-title" {
                h2 id="error-summary-title" { (t(lang, "error.summary")) }
                ul {
                    @for e in errors {
                        li { a href={ "#" (e.field) } { (e.message(lang)) } }
                    }
                }
            }
        }
    }
}

/// A labelled input with its hint and error, one column, label above the field.
pub struct Field<'a> {
    pub name: &'static str,
    pub label: &'a str,
    pub kind: &'static str,
    pub value: &'a str,
    pub hint: Option<&'a str>,
    pub autocomplete: Option<&'static str>,
    pub required: bool,
}

impl<'a> Field<'a> {
    pub fn new(name: &'static str, label: &'a str) -> Self {
        Self {
            name,
            label,
            kind: "text",
            value: "",
            hint: None,
            autocomplete: None,
            required: true,
        }
    }

    pub fn render(&self, lang: Lang, errors: &[FieldError]) -> Markup {
        let error = errors.iter().find(|e| e.field == self.name);
        let hint_id = format!("{}-hint", self.name);
        let error_id = format!("{}-error", self.name);
        let described = [
            self.hint.map(|_| hint_id.clone()),
            error.map(|_| error_id.clone()),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
        html! {
            div.field.field-error[error.is_some()] {
                label for=(self.name) { (self.label) }
                @if let Some(hint) = self.hint { p.hint id=(hint_id) { (hint) } }
                @if let Some(e) = error { p.error-message id=(error_id) { (e.message(lang)) } }
                input id=(self.name) name=(self.name) type=(self.kind) value=(self.value)
                    autocomplete=[self.autocomplete] required[self.required]
                    aria-invalid=[error.map(|_| "true")]
                    aria-describedby=[(!described.is_empty()).then_some(described.as_str())];
            }
        }
    }
}

/// A labelled select.
pub fn select(
    lang: Lang,
    name: &'static str,
    label: &str,
    options: &[(String, String)],
    selected: &str,
    errors: &[FieldError],
) -> Markup {
    let error = errors.iter().find(|e| e.field == name);
    html! {
        div.field.field-error[error.is_some()] {
            label for=(name) { (label) }
            @if let Some(e) = error { p.error-message { (e.message(lang)) } }
            select id=(name) name=(name) {
                option value="" { (t(lang, "admin.choose")) }
                @for (value, text) in options {
                    option value=(value) selected[value == selected] { (text) }
                }
            }
        }
    }
}

/// A status shown in words and colour together.
pub fn status_tag(text: &str, tone: &'static str) -> Markup {
    html! { strong class={ "tag tag-" (tone) } { (text) } }
}

/// A figure: a number with its label, unit and source.
pub fn stat(label: &str, value: &str, unit: &str) -> Markup {
    html! {
        div.stat {
            span.stat-label { (label) }
            span.stat-value { (value) span.stat-unit { (unit) } }
        }
    }
}

/// A chart with the same data as a table beside it (in a disclosure, so both are reachable).
pub fn chart_figure(
    lang: Lang,
    svg: &str,
    headers: &[String],
    rows: &[Vec<String>],
    source: &str,
) -> Markup {
    html! {
        figure.chart {
            div.chart-svg { (PreEscaped(svg)) }
            details.table-view {
                summary { (t(lang, "table.view")) }
                (data_table(headers, rows))
            }
            @if !source.is_empty() { figcaption.source { (source) } }
        }
    }
}

/// A plain data table; numeric-looking cells are right-aligned.
pub fn data_table(headers: &[String], rows: &[Vec<String>]) -> Markup {
    html! {
        div.table-wrap {
            table {
                thead { tr { @for h in headers { th scope="col" { (h) } } } }
                tbody {
                    @for row in rows {
                        tr {
                            @for (i, cell) in row.iter().enumerate() {
                                @if i == 0 { th scope="row" { (cell) } }
                                @else { td.num[looks_numeric(cell)] { (cell) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn looks_numeric(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ',' | '.' | '-' | '%'))
}

/// "共 N 条" / "N in all".
pub fn count_line(lang: Lang, count: usize) -> Markup {
    html! { p.count { (tf(lang, "admin.count", &[("count", &count.to_string())])) } }
}
