//! Interface languages and the [`Explain`] trait that turns validation errors into advice.

/// The languages of the interface: Chinese first (the city's working language), English
/// available.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// Simplified Chinese, `zh-CN`.
    #[default]
    Zh,
    /// English, `en`.
    En,
}

impl Lang {
    /// Reads a language tag such as `zh`, `zh-CN`, `zh-Hans`, `en` or `en-US` (any case,
    /// `-` or `_`). Other languages give `None` so the caller can fall back to its default.
    pub fn parse(tag: &str) -> Option<Lang> {
        let lower = tag.trim().to_ascii_lowercase();
        let primary = lower.split(['-', '_']).next().unwrap_or_default();
        match primary {
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The BCP 47 tag used in `lang` attributes and stored preferences.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
}

/// A validation error that explains itself to a person: what is wrong and what is allowed,
/// in words they can act on. `Display` stays the terse English form meant for logs.
pub trait Explain {
    /// The advice in `lang`, as one or two sentences.
    fn explain(&self, lang: Lang) -> String;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn tags_parse() {
        assert_eq!(Lang::parse("zh-CN"), Some(Lang::Zh));
        assert_eq!(Lang::parse("zh"), Some(Lang::Zh));
        assert_eq!(Lang::parse("zh_Hans"), Some(Lang::Zh));
        assert_eq!(Lang::parse("EN-us"), Some(Lang::En));
        assert_eq!(Lang::parse(" en "), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), None);
        assert_eq!(Lang::parse("eng"), None);
        assert_eq!(Lang::parse("zhx"), None);
        assert_eq!(Lang::parse(""), None);
    }

    #[test]
    fn codes_parse_back_and_chinese_is_the_default() {
        for lang in [Lang::Zh, Lang::En] {
            assert_eq!(Lang::parse(lang.code()), Some(lang));
        }
        assert_eq!(Lang::Zh.code(), "zh-CN");
        assert_eq!(Lang::default(), Lang::Zh);
    }
}
