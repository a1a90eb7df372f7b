//! Masking of personal names for screens where the full name is not needed.

/// Separators kept visible so the shape of a name stays readable: spaces, the middle dot of
/// transliterated names (`买买提·艾力`), and hyphens.
fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '·' | '•' | '・' | '-')
}

/// Keeps the first character and replaces every other non-separator with `*`:
/// `张三丰` → `张**`, `欧阳娜娜` → `欧***`, `John Smith` → `J*** *****`. A one-character
/// name becomes `*`, since keeping its only character would hide nothing. Surrounding
/// whitespace is dropped.
pub fn mask_name(name: &str) -> String {
    let name = name.trim();
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    if chars.as_str().is_empty() {
        return "*".to_owned();
    }
    std::iter::once(first)
        .chain(chars.map(|c| if is_separator(c) { c } else { '*' }))
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn chinese_and_latin_names() {
        assert_eq!(mask_name("张三丰"), "张**");
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("欧阳娜娜"), "欧***");
        assert_eq!(mask_name("买买提·艾力"), "买**·**");
        assert_eq!(mask_name(" John Smith "), "J*** *****");
        assert_eq!(mask_name("Jean-Luc"), "J***-***");
        assert_eq!(mask_name("张"), "*");
        assert_eq!(mask_name("  "), "");
    }

    proptest! {
        #[test]
        fn only_the_first_character_survives(name in "\\PC{2,20}") {
            let trimmed = name.trim();
            let masked = mask_name(&name);
            prop_assert_eq!(masked.chars().count(), trimmed.chars().count().max(usize::from(!trimmed.is_empty())));
            prop_assert!(masked.chars().skip(1).all(|c| c == '*' || is_separator(c)));
        }
    }
}
