//! The rules every piece of free text shares. Text is stored in Unicode
//! normal form C (so "é" typed as one or as two code points is one
//! spelling) and trimmed, and holds nothing a reader cannot see or that
//! reorders what they see: no control characters (but line breaks and tabs
//! in multi-line text), no bidirectional controls, no invisible format
//! characters, no noncharacters. The joiners U+200C and U+200D, which some
//! scripts and emoji need, are accepted between two visible characters.

use super::Invalid;
use icu_normalizer::ComposingNormalizerBorrowed;

/// One line of text of `min` to `max` characters: names, cities, tags.
pub(crate) fn single_line(raw: &str, min: usize, max: usize) -> Result<String, Invalid> {
    let text = normalized(raw);
    let length = text.chars().count();
    if length < min {
        return Err(if min == 1 {
            Invalid::new("must not be empty")
        } else {
            Invalid(format!("must be at least {min} characters long"))
        });
    }
    if length > max {
        return Err(Invalid(format!("must be at most {max} characters long")));
    }
    if text.chars().any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')) {
        return Err(Invalid::new("must not contain control characters or line breaks"));
    }
    visible(&text)?;
    Ok(text)
}

/// Text of at most `max` characters, possibly empty, where line breaks and
/// tabs are welcome: descriptions.
pub(crate) fn multi_line(raw: &str, max: usize) -> Result<String, Invalid> {
    let text = normalized(raw);
    if text.chars().count() > max {
        return Err(Invalid(format!("must be at most {max} characters long")));
    }
    if text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(Invalid::new("must not contain control characters other than line breaks and tabs"));
    }
    visible(&text)?;
    Ok(text)
}

/// NFC, then trimmed: normalizing first lets a trailing combining mark
/// join its letter instead of being left behind.
fn normalized(raw: &str) -> String {
    ComposingNormalizerBorrowed::new_nfc().normalize(raw).trim().to_owned()
}

/// Refuses what a reader cannot see, or what reorders what they see.
fn visible(text: &str) -> Result<(), Invalid> {
    let chars: Vec<char> = text.chars().collect();
    for (index, &c) in chars.iter().enumerate() {
        if is_bidi_control(c) {
            return Err(Invalid(format!("must not contain the bidirectional control U+{:04X}", c as u32)));
        }
        if is_noncharacter(c) {
            return Err(Invalid(format!("must not contain the noncharacter U+{:04X}", c as u32)));
        }
        let joiner = matches!(c, '\u{200C}' | '\u{200D}');
        let between_visible = |at: Option<&char>| at.is_some_and(|&c| !is_invisible(c) && !c.is_whitespace());
        let joins =
            joiner && index > 0 && between_visible(chars.get(index - 1)) && between_visible(chars.get(index + 1));
        if is_invisible(c) && !joins {
            return Err(Invalid(format!("must not contain the invisible character U+{:04X}", c as u32)));
        }
    }
    Ok(())
}

/// The explicit directional marks, embeddings, overrides and isolates.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Code points Unicode reserves never to be characters.
fn is_noncharacter(c: char) -> bool {
    matches!(c, '\u{FDD0}'..='\u{FDEF}') || (c as u32) & 0xFFFE == 0xFFFE
}

/// Format characters that render as nothing (zero-width spaces and
/// joiners, the soft hyphen, invisible operators, tags, the byte order
/// mark, ...) and the letters and symbols that render blank (Hangul
/// fillers, the braille blank).
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200D}'
            | '\u{2060}'..='\u{2064}'
            | '\u{206A}'..='\u{206F}'
            | '\u{2800}'
            | '\u{3164}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_stored_in_one_spelling() {
        let decomposed = "Saint-E\u{0301}tienne";
        assert_eq!(single_line(decomposed, 1, 100).unwrap(), "Saint-Étienne");
        assert_eq!(single_line("  Ada  ", 1, 100).unwrap(), "Ada");
        assert_eq!(multi_line("Two\nlines\twith a tab ", 100).unwrap(), "Two\nlines\twith a tab");
    }

    #[test]
    fn what_a_reader_cannot_see_is_refused() {
        let refused = [
            "evil\u{202E}gnp.exe",
            "a\u{2066}b\u{2069}",
            "left\u{200F}",
            "zero\u{200B}width",
            "\u{200D}",
            "a\u{200D}",
            "soft\u{00AD}hyphen",
            "\u{FEFF}bom",
            "tag\u{E0041}",
            "\u{3164}",
            "\u{2800}\u{2800}",
            "non\u{FDD0}char",
            "non\u{FFFE}char",
            "non\u{1FFFF}char",
            "line\u{2028}separator",
            "   ",
            "\u{200B}\u{200B}",
        ];
        for text in refused {
            assert!(single_line(text, 1, 100).is_err(), "{text:?} was accepted");
        }
        assert!(multi_line("a\u{202E}b", 100).is_err());
        assert!(multi_line("\u{200B}", 100).is_err());
    }

    #[test]
    fn joiners_between_visible_characters_are_accepted() {
        let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}";
        assert_eq!(single_line(family, 1, 100).unwrap(), family);
        assert!(single_line("\u{0645}\u{06CC}\u{200C}\u{062E}\u{0648}\u{0627}\u{0647}\u{0645}", 1, 100).is_ok());
    }
}
