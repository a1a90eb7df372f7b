//! Settings: command-line flags, then `LIFEHEALTH_*` environment variables, then an optional
//! TOML file, then defaults. The alerts webhook is read from the environment only: its secret
//! must never sit in a file that could be committed, and it has no default.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::Deserialize;

/// What may be set in the TOML file (`--config`, or `lifehealth.toml` in the working directory).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    pub listen: Option<String>,
    pub database_url: Option<String>,
    pub data: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
    pub secure_cookies: Option<bool>,
    /// MQTT broker for device readings, e.g. `mqtt://127.0.0.1:1883`; none: no MQTT ingest.
    pub mqtt_url: Option<String>,
}

/// The settings in force.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: String,
    pub database_url: String,
    pub data: PathBuf,
    pub key_file: PathBuf,
    pub secure_cookies: bool,
    /// MQTT broker the device subscriber connects to; off unless set.
    pub mqtt_url: Option<String>,
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

impl FileSettings {
    pub fn load(path: Option<&Path>) -> anyhow::Result<FileSettings> {
        let (path, required) = match path {
            Some(p) => (p.to_owned(), true),
            None => (PathBuf::from("lifehealth.toml"), false),
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text)
                .with_context(|| format!("the settings file {} is not valid", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
                Ok(FileSettings::default())
            }
            Err(e) => {
                Err(e).with_context(|| format!("cannot read the settings file {}", path.display()))
            }
        }
    }
}

/// Combines flags/environment (already merged by clap) with the file and the defaults.
pub fn resolve(
    file: FileSettings,
    listen: Option<String>,
    database_url: Option<String>,
    data: Option<PathBuf>,
    key_file: Option<PathBuf>,
    secure_cookies: Option<bool>,
) -> Settings {
    let data = data.or(file.data).unwrap_or_else(|| PathBuf::from("data"));
    let database_url = database_url
        .or(file.database_url)
        .unwrap_or_else(|| format!("sqlite://{}", data.join("lifehealth.db").display()));
    let key_file = key_file
        .or(file.key_file)
        .unwrap_or_else(|| data.join("keys").join("master.key"));
    Settings {
        listen: listen
            .or(file.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.to_owned()),
        database_url,
        data,
        key_file,
        secure_cookies: secure_cookies.or(file.secure_cookies).unwrap_or(false),
        mqtt_url: file.mqtt_url.filter(|u| !u.trim().is_empty()),
    }
}

/// The environment variables of one webhook: its `http://` URL and its signing secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookVars {
    pub url: &'static str,
    pub secret: &'static str,
    /// What is posted, for messages (`alerts`, `clinic notifications`).
    pub what: &'static str,
}

/// Alert events (the secret has at least `delivery.min_secret_bytes` bytes of
/// `crates/alerts/rules/alerts.toml`).
pub const ALERTS_WEBHOOK: WebhookVars = WebhookVars {
    url: "LIFEHEALTH_ALERTS_WEBHOOK_URL",
    secret: "LIFEHEALTH_ALERTS_WEBHOOK_SECRET",
    what: "alerts",
};

/// The online clinic's notifications (`notifications.webhook` of `crates/clinic/rules/clinic.toml`).
pub const CLINIC_WEBHOOK: WebhookVars = WebhookVars {
    url: "LIFEHEALTH_CLINIC_WEBHOOK_URL",
    secret: "LIFEHEALTH_CLINIC_WEBHOOK_SECRET",
    what: "clinic notifications",
};

/// A webhook as configured: both variables, or neither.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSetting {
    pub url: String,
    pub secret: String,
}

impl std::fmt::Debug for WebhookSetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSetting")
            .field("url", &self.url)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// Why the webhook settings cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WebhookSettingsError {
    /// A URL without a secret: deliveries would go out unsigned, which is never done.
    #[error(
        "{} is set but {} is not: the webhook signs every delivery and has no default secret; \
         set a random secret of at least 32 bytes (e.g. `openssl rand -hex 32`) or unset the URL",
        .0.url, .0.secret
    )]
    NoSecret(WebhookVars),
    /// A secret without a URL: probably a mistyped variable name.
    #[error("{} is set but {} is not: set the gateway's http:// URL, or unset the secret", .0.secret, .0.url)]
    NoUrl(WebhookVars),
}

/// One webhook from the environment (`var` reads one variable; empty counts as unset).
pub fn webhook_setting(
    vars: WebhookVars,
    var: impl Fn(&str) -> Option<String>,
) -> Result<Option<WebhookSetting>, WebhookSettingsError> {
    let read = |name: &str| var(name).filter(|v| !v.trim().is_empty());
    match (read(vars.url), read(vars.secret)) {
        (None, None) => Ok(None),
        (Some(_), None) => Err(WebhookSettingsError::NoSecret(vars)),
        (None, Some(_)) => Err(WebhookSettingsError::NoUrl(vars)),
        (Some(url), Some(secret)) => Ok(Some(WebhookSetting {
            url: url.trim().to_owned(),
            secret,
        })),
    }
}

/// The alerts webhook of the process environment, checked by the alerts crate (an `http://`
/// URL, a secret of the policy's minimum length); `None` when none is configured.
pub fn alerts_webhook_from_env(policy: &alerts::Policy) -> anyhow::Result<Option<alerts::Webhook>> {
    let Some(configured) = webhook_setting(ALERTS_WEBHOOK, |name| std::env::var(name).ok())? else {
        return Ok(None);
    };
    let webhook = alerts::Webhook::new(&configured.url, configured.secret.as_bytes(), policy)
        .with_context(|| {
            format!(
                "the alerts webhook ({}, {})",
                ALERTS_WEBHOOK.url, ALERTS_WEBHOOK.secret
            )
        })?;
    Ok(Some(webhook))
}

/// The clinic's notification webhook of the process environment, checked by the clinic
/// crate; `None` when none is configured.
pub fn clinic_webhook_from_env(rules: &clinic::Rules) -> anyhow::Result<Option<alerts::Webhook>> {
    let Some(configured) = webhook_setting(CLINIC_WEBHOOK, |name| std::env::var(name).ok())? else {
        return Ok(None);
    };
    let webhook =
        clinic::notifications::webhook(&configured.url, configured.secret.as_bytes(), rules)
            .with_context(|| {
                format!(
                    "the clinic webhook ({}, {})",
                    CLINIC_WEBHOOK.url, CLINIC_WEBHOOK.secret
                )
            })?;
    Ok(Some(webhook))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_the_file_and_the_file_over_defaults() {
        let file: FileSettings =
            toml::from_str("listen = \"0.0.0.0:9000\"\ndata = \"/srv/lh\"").expect("toml");
        let s = resolve(file, Some("127.0.0.1:1".into()), None, None, None, None);
        assert_eq!(s.listen, "127.0.0.1:1");
        assert_eq!(s.data, PathBuf::from("/srv/lh"));
        assert_eq!(s.database_url, "sqlite:///srv/lh/lifehealth.db");
        assert_eq!(s.key_file, PathBuf::from("/srv/lh/keys/master.key"));
        let d = resolve(FileSettings::default(), None, None, None, None, None);
        assert_eq!(d.listen, DEFAULT_LISTEN);
        assert!(
            toml::from_str::<FileSettings>("lisen = 1").is_err(),
            "typos are refused"
        );
    }

    #[test]
    fn a_webhook_needs_both_its_url_and_its_secret() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        assert_eq!(webhook_setting(ALERTS_WEBHOOK, env(&[])), Ok(None));
        assert_eq!(
            webhook_setting(
                ALERTS_WEBHOOK,
                env(&[(ALERTS_WEBHOOK.url, "  "), (ALERTS_WEBHOOK.secret, "")])
            ),
            Ok(None),
            "empty values are unset"
        );
        assert_eq!(
            webhook_setting(
                ALERTS_WEBHOOK,
                env(&[(ALERTS_WEBHOOK.url, "http://gw/hook")])
            ),
            Err(WebhookSettingsError::NoSecret(ALERTS_WEBHOOK)),
            "never a default secret"
        );
        assert_eq!(
            webhook_setting(ALERTS_WEBHOOK, env(&[(ALERTS_WEBHOOK.secret, "s")])),
            Err(WebhookSettingsError::NoUrl(ALERTS_WEBHOOK))
        );
        let both = webhook_setting(
            ALERTS_WEBHOOK,
            env(&[
                (ALERTS_WEBHOOK.url, " http://gw/hook "),
                (ALERTS_WEBHOOK.secret, "0123456789abcdef0123456789abcdef"),
            ]),
        )
        .expect("valid")
        .expect("configured");
        assert_eq!(both.url, "http://gw/hook");
        let shown = format!("{both:?}");
        assert!(
            shown.contains("redacted") && !shown.contains("0123456789"),
            "{shown}"
        );
        assert!(
            WebhookSettingsError::NoSecret(CLINIC_WEBHOOK)
                .to_string()
                .contains(CLINIC_WEBHOOK.secret)
        );
        assert_eq!(
            webhook_setting(CLINIC_WEBHOOK, env(&[(CLINIC_WEBHOOK.url, "http://gw/n")])),
            Err(WebhookSettingsError::NoSecret(CLINIC_WEBHOOK)),
            "each webhook reads its own variables"
        );
    }
}
