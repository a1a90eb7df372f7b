//! Message catalogues: every string a page shows comes from `locales/*.toml`, never from a
//! template. zh-CN is the default; English is the alternative.

use std::collections::HashMap;
use std::sync::OnceLock;

use kernel::Lang;

struct Catalogue {
    zh: HashMap<String, String>,
    en: HashMap<String, String>,
}

fn parse(name: &str, text: &str) -> HashMap<String, String> {
    match toml::from_str(text) {
        Ok(map) => map,
        // The catalogues are compiled in and checked by tests: a failure is a build defect.
        Err(e) => panic!("message catalogue {name} is invalid: {e}"),
    }
}

/// The catalogues: the platform's own, then one pair per area (so areas built side by side
/// each keep their texts in their own files). A key defined twice is a build defect.
const SOURCES: [Source; 10] = [
    (
        "core",
        include_str!("../locales/zh-CN.toml"),
        include_str!("../locales/en.toml"),
    ),
    (
        "risk",
        include_str!("../locales/risk.zh-CN.toml"),
        include_str!("../locales/risk.en.toml"),
    ),
    (
        "research",
        include_str!("../locales/research.zh-CN.toml"),
        include_str!("../locales/research.en.toml"),
    ),
    (
        "devices",
        include_str!("../locales/devices.zh-CN.toml"),
        include_str!("../locales/devices.en.toml"),
    ),
    (
        "alerts",
        include_str!("../locales/alerts.zh-CN.toml"),
        include_str!("../locales/alerts.en.toml"),
    ),
    (
        "clinic",
        include_str!("../locales/clinic.zh-CN.toml"),
        include_str!("../locales/clinic.en.toml"),
    ),
    (
        "companies",
        include_str!("../locales/companies.zh-CN.toml"),
        include_str!("../locales/companies.en.toml"),
    ),
    (
        "pools",
        include_str!("../locales/pools.zh-CN.toml"),
        include_str!("../locales/pools.en.toml"),
    ),
    (
        "subsidies",
        include_str!("../locales/subsidies.zh-CN.toml"),
        include_str!("../locales/subsidies.en.toml"),
    ),
    (
        "products",
        include_str!("../locales/products.zh-CN.toml"),
        include_str!("../locales/products.en.toml"),
    ),
];

type Source = (&'static str, &'static str, &'static str);

fn merged(lang: &str, pick: fn(&Source) -> &'static str) -> HashMap<String, String> {
    let mut all = HashMap::new();
    for source in &SOURCES {
        let name = format!("{}.{lang}.toml", source.0);
        for (key, text) in parse(&name, pick(source)) {
            // The catalogues are compiled in and checked by tests: a failure is a build defect.
            assert!(
                all.insert(key.clone(), text).is_none(),
                "message {key} is defined twice (again in {name})"
            );
        }
    }
    all
}

fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| Catalogue {
        zh: merged("zh-CN", |s| s.1),
        en: merged("en", |s| s.2),
    })
}

/// The message for `key` in `lang`; the key itself when missing (tests keep that from
/// happening), so a gap shows up on screen instead of breaking the page.
pub fn t(lang: Lang, key: &str) -> &'static str {
    let map = match lang {
        Lang::Zh => &catalogue().zh,
        Lang::En => &catalogue().en,
    };
    match map.get(key) {
        Some(text) => text.as_str(),
        None => {
            tracing::warn!(key, "missing message");
            // Leak once per missing key: only reachable through a programming error.
            Box::leak(key.to_owned().into_boxed_str())
        }
    }
}

/// The message for `key` if the catalogue has one (for codes that may be unknown to it).
pub fn t_opt(lang: Lang, key: &str) -> Option<&'static str> {
    let map = match lang {
        Lang::Zh => &catalogue().zh,
        Lang::En => &catalogue().en,
    };
    map.get(key).map(String::as_str)
}

/// An audit action in words (`user.login` → 登录), or its code when it has no words yet.
pub fn action_label(lang: Lang, action: &str) -> String {
    t_opt(lang, &format!("action.{action}"))
        .map(str::to_owned)
        .unwrap_or_else(|| action.to_owned())
}

/// The message for `key` with `{name}` placeholders filled in.
pub fn tf(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    let mut text = t(lang, key).to_owned();
    for (name, value) in args {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

/// Both catalogues' keys, for tests.
pub fn keys() -> (Vec<&'static str>, Vec<&'static str>) {
    let mut zh: Vec<_> = catalogue().zh.keys().map(String::as_str).collect();
    let mut en: Vec<_> = catalogue().en.keys().map(String::as_str).collect();
    zh.sort_unstable();
    en.sort_unstable();
    (zh, en)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogues_have_the_same_keys() {
        let (zh, en) = keys();
        assert_eq!(zh, en);
        assert!(zh.len() > 100);
    }

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(
            tf(Lang::Zh, "home.welcome", &[("name", "王芳")]),
            "王芳，您好"
        );
        assert_eq!(
            tf(Lang::En, "home.welcome", &[("name", "Wang Fang")]),
            "Hello, Wang Fang"
        );
    }

    #[test]
    fn every_key_used_in_the_source_exists() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let (zh, _) = keys();
        let mut missing = Vec::new();
        let mut files = vec![src];
        while let Some(path) = files.pop() {
            if path.is_dir() {
                for entry in std::fs::read_dir(&path).expect("read src").flatten() {
                    files.push(entry.path());
                }
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("read file");
            for call in [
                "t(lang, \"",
                "tf(lang, \"",
                "t(ctx.lang, \"",
                "tf(ctx.lang, \"",
            ] {
                for (at, _) in text.match_indices(call) {
                    // Only calls of `t`/`tf` themselves, not of `select(lang, "...")` and the like.
                    let before = text[..at].chars().next_back().unwrap_or(' ');
                    if before.is_alphanumeric() || before == '_' {
                        continue;
                    }
                    let key = text[at + call.len()..]
                        .split('"')
                        .next()
                        .unwrap_or_default();
                    if !zh.contains(&key) {
                        missing.push(format!("{}: {key}", path.display()));
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "keys missing from the catalogues: {missing:#?}"
        );
    }
}
