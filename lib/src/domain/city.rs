use super::Invalid;
use super::text;

/// A city as its publisher wrote it, plus the key under which it is
/// browsed: letter case, accents and the separators space, hyphen and
/// apostrophe are ignored, so "Saint-Étienne", "saint etienne" and
/// "SAINT ETIENNE" are one city.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct City {
    name: String,
    key: String,
}

impl City {
    pub const MAX_LENGTH: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let name = text::single_line(raw, 1, Self::MAX_LENGTH)?;
        let key = city_key(&name);
        if key.is_empty() {
            return Err(Invalid::new("must contain at least one letter or digit"));
        }
        Ok(Self { name, key })
    }

    /// The name as entered (trimmed): what responses show.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The name as entered, taken out of the city.
    pub fn into_name(self) -> String {
        self.name
    }

    /// The normalized form that listing by city matches on.
    pub fn key(&self) -> &str {
        &self.key
    }
}

/// Lower-cases, folds accented Latin letters to their base letters, and
/// joins the words that spaces, hyphens and apostrophes separate with `-`.
pub fn city_key(name: &str) -> String {
    let mut folded = String::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_lowercase) {
        match c {
            ' ' | '-' | '\'' | '\u{2019}' | '\u{2018}' | '\u{2010}' | '\u{2011}' | '\u{2013}' | '\u{00a0}' => {
                folded.push(' ')
            }
            // Combining marks, as in text that arrives already decomposed.
            '\u{0300}'..='\u{036f}' => {}
            _ => match fold_accent(c) {
                Some(base) => folded.push_str(base),
                None => folded.push(c),
            },
        }
    }
    folded.split(' ').filter(|word| !word.is_empty()).collect::<Vec<_>>().join("-")
}

/// The unaccented spelling of a lower-case Latin letter (Latin-1 Supplement
/// and Latin Extended-A, which cover the languages of European city names).
fn fold_accent(c: char) -> Option<&'static str> {
    let folded = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'ĳ' => "ij",
        'ĵ' => "j",
        'ķ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' | 'ŉ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'œ' => "oe",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' => "s",
        'ß' => "ss",
        'ţ' | 'ť' | 'ŧ' => "t",
        'þ' => "th",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    };
    Some(folded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_city_share_a_key() {
        let spellings =
            ["Saint-Étienne", "saint etienne", "SAINT ETIENNE", "  Saint - Etienne ", "saint\u{2019}etienne"];
        for spelling in spellings {
            assert_eq!(city_key(spelling), "saint-etienne", "{spelling:?}");
        }
        assert_eq!(city_key("L'Haÿ-les-Roses"), "l-hay-les-roses");
        assert_eq!(city_key("Kraków"), "krakow");
        assert_eq!(city_key("Łódź"), "lodz");
        assert_eq!(city_key("Zürich"), "zurich");
        assert_eq!(city_key("Sete\u{0301}"), "sete");
    }

    #[test]
    fn a_city_keeps_its_spelling_for_display() {
        let city = City::parse("  Saint-Étienne ").unwrap();
        assert_eq!(city.name(), "Saint-Étienne");
        assert_eq!(city.key(), "saint-etienne");
        assert!(City::parse(" - ' ").is_err());
        assert!(City::parse("").is_err());
        assert!(City::parse(&"a".repeat(101)).is_err());
    }
}
