//! Row identifiers: UUIDv7, and the [`typed_id!`](crate::typed_id) macro for one type per
//! kind of row.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Explain, Lang};

/// An identifier that leaks neither row counts nor order beyond the millisecond of creation:
/// a UUIDv7 (time-ordered, so B-tree indexes stay compact, with 74 random bits).
///
/// Displays and serialises as the hyphenated lower-case string, which is how it is stored in
/// TEXT columns.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(uuid::Uuid);

/// Why a text is not an identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an identifier is 36 characters: 32 hexadecimal digits in groups 8-4-4-4-12")]
pub struct IdError;

impl Explain for IdError {
    fn explain(&self, lang: Lang) -> String {
        match lang {
            Lang::Zh => "编号格式不正确：应为36个字符，即按8-4-4-4-12分组、以横线连接的十六进制数字".to_owned(),
            Lang::En => "The identifier is malformed: it must be 36 characters, hexadecimal digits in groups of 8-4-4-4-12 joined by hyphens".to_owned(),
        }
    }
}

impl Id {
    /// A fresh identifier for the current millisecond.
    pub fn new() -> Self {
        Id(uuid::Uuid::now_v7())
    }

    /// Parses the hyphenated form (either case). Other spellings uuid accepts (braces,
    /// `urn:uuid:`, no hyphens) are refused so each identifier has one text in URLs and
    /// tables. Any UUID version is accepted, since rows imported from elsewhere keep theirs.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if s.len() != 36 {
            return Err(IdError);
        }
        uuid::Uuid::try_parse(s).map(Id).map_err(|_| IdError)
    }

    /// The underlying UUID.
    pub fn as_uuid(&self) -> &uuid::Uuid {
        &self.0
    }
}

impl Default for Id {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.hyphenated(), f)
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({self})")
    }
}

impl FromStr for Id {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Id::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Declares a distinct identifier type for one kind of row, so a `UserId` cannot be passed
/// where an `OrganisationId` is expected. The type wraps [`Id`] and has `new`, `parse`,
/// `id`, `Display`, `FromStr`, `Debug`, `Default` and serde as a string. Callers need no
/// serde dependency of their own.
///
/// Without a visibility the type is `pub`; give one (`pub(crate)`) to narrow it.
///
/// ```
/// kernel::typed_id!(
///     /// A person who can sign in.
///     UserId
/// );
///
/// let user = UserId::new();
/// let text = user.to_string();
/// assert_eq!(text.parse::<UserId>(), Ok(user));
/// assert_eq!(UserId::parse(&text), Ok(user));
/// assert_eq!(serde_json::to_string(&user).unwrap(), format!("\"{text}\""));
/// assert!(UserId::parse("42").is_err());
/// ```
#[macro_export]
macro_rules! typed_id {
    ($(#[$meta:meta])* $name:ident $(,)?) => {
        $crate::typed_id!($(#[$meta])* pub $name);
    };
    ($(#[$meta:meta])* $vis:vis $name:ident $(,)?) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        $vis struct $name($crate::Id);

        impl $name {
            /// A fresh identifier for the current millisecond.
            #[allow(dead_code)]
            pub fn new() -> Self {
                $name($crate::Id::new())
            }

            /// Parses the hyphenated form (either case).
            #[allow(dead_code)]
            pub fn parse(s: &str) -> ::core::result::Result<Self, $crate::IdError> {
                $crate::Id::parse(s).map($name)
            }

            /// The untyped identifier.
            #[allow(dead_code)]
            pub fn id(self) -> $crate::Id {
                self.0
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                ::core::fmt::Display::fmt(&self.0, f)
            }
        }

        impl ::core::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                ::core::write!(f, "{}({})", ::core::stringify!($name), self.0)
            }
        }

        impl ::core::str::FromStr for $name {
            type Err = $crate::IdError;

            fn from_str(s: &str) -> ::core::result::Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl $crate::__private::serde::Serialize for $name {
            fn serialize<S>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error>
            where
                S: $crate::__private::serde::Serializer,
            {
                $crate::__private::serde::Serialize::serialize(&self.0, serializer)
            }
        }

        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<D>(deserializer: D) -> ::core::result::Result<Self, D::Error>
            where
                D: $crate::__private::serde::Deserializer<'de>,
            {
                <$crate::Id as $crate::__private::serde::Deserialize<'de>>::deserialize(deserializer)
                    .map($name)
            }
        }
    };
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    crate::typed_id!(
        /// Test type.
        UserId
    );
    crate::typed_id!(pub(crate) OrganisationId);

    #[test]
    fn ids_are_unique_version_7_and_round_trip() {
        let a = Id::new();
        let b = Id::new();
        assert_ne!(a, b);
        assert_eq!(a.as_uuid().get_version_num(), 7);
        assert_eq!(Id::parse(&a.to_string()), Ok(a));
        assert_eq!(a.to_string().parse::<Id>(), Ok(a));
        assert!(a < b || a.as_uuid().get_timestamp() == b.as_uuid().get_timestamp());
    }

    #[test]
    fn only_the_hyphenated_form_parses_and_display_is_lower_case() {
        let text = "0193A3C4-5B6D-7E8F-9A0B-1C2D3E4F5A6B";
        let id = Id::parse(text).unwrap();
        assert_eq!(id.to_string(), text.to_lowercase());
        assert_eq!(format!("{id:?}"), format!("Id({})", text.to_lowercase()));
        assert_eq!(Id::parse("0193a3c45b6d7e8f9a0b1c2d3e4f5a6b"), Err(IdError));
        assert_eq!(
            Id::parse("{0193a3c4-5b6d-7e8f-9a0b-1c2d3e4f5a6b}"),
            Err(IdError)
        );
        assert_eq!(
            Id::parse("0193a3c4-5b6d-7e8f-9a0b-1c2d3e4f5a6g"),
            Err(IdError)
        );
        assert_eq!(Id::parse("not-an-id"), Err(IdError));
        assert!(IdError.explain(Lang::Zh).contains("8-4-4-4-12"));
    }

    #[test]
    fn serde_is_the_string() {
        let id = Id::parse("0193a3c4-5b6d-7e8f-9a0b-1c2d3e4f5a6b").unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"0193a3c4-5b6d-7e8f-9a0b-1c2d3e4f5a6b\"");
        assert_eq!(serde_json::from_str::<Id>(&json).unwrap(), id);
        assert!(serde_json::from_str::<Id>("\"nope\"").is_err());
        assert!(serde_json::from_str::<Id>("7").is_err());
    }

    #[test]
    fn typed_ids_behave_like_id_but_are_distinct_types() {
        let user = UserId::new();
        let text = user.to_string();
        assert_eq!(UserId::parse(&text), Ok(user));
        assert_eq!(text.parse::<UserId>(), Ok(user));
        assert_eq!(user.id().to_string(), text);
        assert_eq!(format!("{user:?}"), format!("UserId({text})"));
        let json = serde_json::to_string(&user).unwrap();
        assert_eq!(json, format!("\"{text}\""));
        assert_eq!(serde_json::from_str::<UserId>(&json).unwrap(), user);
        let org: OrganisationId = text.parse().unwrap();
        assert_eq!(org.to_string(), text);
        assert!(OrganisationId::parse("x").is_err());
    }
}
