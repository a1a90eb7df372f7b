//! Settings: command-line flags, then `LIFEHEALTH_*` environment variables, then an optional
//! TOML file, then defaults.

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
}

/// The settings in force.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: String,
    pub database_url: String,
    pub data: PathBuf,
    pub key_file: PathBuf,
    pub secure_cookies: bool,
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
    }
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
}
