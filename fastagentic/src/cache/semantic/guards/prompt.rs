//! A prompt as the guards read it: its words, normalised so that spelling
//! that does not change the question (case, plurals, possessives, number
//! words, "JS" for "JavaScript") compares equal, with where each word sits.

use super::lexicon;

/// One word of a prompt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Word {
    /// Lower case, apostrophes dropped, plural and possessive endings
    /// removed, number words as digits, aliases resolved.
    pub(super) norm: String,
    /// Written with a capital where a sentence does not start, or in
    /// capitals (`HTTP`): the writer named something.
    pub(super) named: bool,
    /// Which clause it is in: clauses end at `, ; : . ? !`.
    pub(super) clause: usize,
    /// A digit run (a number, after number words became digits).
    pub(super) number: bool,
}

/// A prompt split into normalised [`Word`]s.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Prompt {
    pub(super) words: Vec<Word>,
}

impl Prompt {
    /// Splits `text` into words. Never fails: any text is some words.
    pub(super) fn parse(text: &str) -> Self {
        let chars: Vec<char> = text.chars().map(straight_apostrophe).collect();
        let mut words = Vec::new();
        let mut clause = 0;
        let mut sentence_start = true;
        let mut i = 0;
        while i < chars.len() {
            if is_word_char(chars[i]) {
                let start = i;
                while i < chars.len() && continues_word(&chars, i) {
                    i += 1;
                }
                let raw: String = chars[start..i].iter().collect();
                words.extend(word(&raw, sentence_start, clause));
                sentence_start = false;
                continue;
            }
            match chars[i] {
                '.' | '?' | '!' => {
                    clause += 1;
                    sentence_start = true;
                }
                ',' | ';' | ':' | '(' | ')' | '"' => clause += 1,
                _ => {}
            }
            i += 1;
        }
        Self { words }
    }

    /// The normalised words, in order.
    pub(super) fn norms(&self) -> impl Iterator<Item = &str> {
        self.words.iter().map(|w| w.norm.as_str())
    }

    /// Whether a word normalised to `norm` occurs.
    pub(super) fn has(&self, norm: &str) -> bool {
        self.norms().any(|w| w == norm)
    }
}

fn straight_apostrophe(c: char) -> char {
    match c {
        '\u{2019}' | '\u{2018}' => '\'',
        other => other,
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// Whether `chars[i]` belongs to the word that is being read: letters and
/// digits, and the joiners inside names and numbers (`don't`, `node.js`,
/// `3.12`, `300,000`, `km/h`, `c++`, `c#`).
fn continues_word(chars: &[char], i: usize) -> bool {
    let c = chars[i];
    if is_word_char(c) {
        return true;
    }
    let before = i.checked_sub(1).and_then(|j| chars.get(j)).copied();
    let after = chars.get(i + 1).copied();
    let alnum = |c: Option<char>| c.is_some_and(is_word_char);
    let digit = |c: Option<char>| c.is_some_and(|c| c.is_ascii_digit());
    match c {
        '\'' => before.is_some_and(char::is_alphabetic) && after.is_some_and(char::is_alphabetic),
        '.' | '/' => alnum(before) && alnum(after),
        ',' => {
            digit(before)
                && chars
                    .get(i + 1..i + 4)
                    .is_some_and(|d| d.iter().all(char::is_ascii_digit))
        }
        '+' | '#' => {
            (before.is_some_and(char::is_alphabetic) || before == Some('+')) && !alnum(after)
        }
        _ => false,
    }
}

/// The words one raw token stands for (a number word stands for digits).
fn word(raw: &str, sentence_start: bool, clause: usize) -> Option<Word> {
    let norm = normalise(raw);
    if norm.is_empty() {
        return None;
    }
    let number = norm.chars().all(|c| c.is_ascii_digit() || c == '.');
    let letters: Vec<char> = raw.chars().filter(|c| c.is_alphabetic()).collect();
    let capitalised = letters.first().is_some_and(|c| c.is_uppercase());
    let all_caps = letters.len() >= 2 && letters.iter().all(|c| c.is_uppercase());
    let named = !number
        && !lexicon::NOT_NAMES.contains(&norm.as_str())
        && ((capitalised && !sentence_start)
            || all_caps
            || lexicon::KNOWN_NAMES.contains(&norm.as_str()));
    Some(Word {
        norm,
        named,
        clause,
        number,
    })
}

/// The normal form of one word: lower case, no apostrophes, no possessive
/// or plural ending, number words as digits, aliases resolved.
pub(super) fn normalise(raw: &str) -> String {
    let lower = raw.to_lowercase();
    let lower = lower.replace(',', "");
    let lower = lower
        .strip_suffix("'s")
        .or_else(|| lower.strip_suffix('\''))
        .unwrap_or(&lower);
    let bare: String = lower.chars().filter(|&c| c != '\'').collect();
    if let Some(&(_, canonical)) = lexicon::ALIASES.iter().find(|(alias, _)| *alias == bare) {
        return stem(canonical);
    }
    if let Some(&(_, digits)) = lexicon::NUMBER_WORDS.iter().find(|(w, _)| *w == bare) {
        return digits.to_owned();
    }
    stem(&bare)
}

/// Drops a plural `s`, so "pounds" meets "pound" and "cities" meets "city".
fn stem(word: &str) -> String {
    if !word.chars().all(|c| c.is_ascii_alphabetic()) || word.len() <= 3 {
        return word.to_owned();
    }
    if let Some(base) = word.strip_suffix("ies").filter(|b| b.len() >= 2) {
        return format!("{base}y");
    }
    for ending in ["sses", "shes", "ches", "xes"] {
        if word.ends_with(ending) {
            return word[..word.len() - 2].to_owned();
        }
    }
    if word.ends_with('s') && !["ss", "us", "is"].iter().any(|e| word.ends_with(e)) {
        return word[..word.len() - 1].to_owned();
    }
    word.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norms(text: &str) -> Vec<String> {
        Prompt::parse(text).norms().map(str::to_owned).collect()
    }

    #[test]
    fn words_are_lower_case_singular_and_without_possessives() {
        assert_eq!(
            norms("Convert Pounds to kilograms, Canada's cities?"),
            ["convert", "pound", "to", "kilogram", "canada", "city"]
        );
    }

    #[test]
    fn names_numbers_and_contractions_stay_one_word() {
        assert_eq!(
            norms("Don't use Node.js 3.12 or C++ at 300,000 km/h"),
            [
                "dont", "use", "node.js", "3.12", "or", "c++", "at", "300000", "km/h"
            ]
        );
    }

    #[test]
    fn number_words_and_aliases_are_normalised() {
        assert_eq!(norms("three JS tips"), ["3", "javascript", "tip"]);
    }

    #[test]
    fn a_capital_inside_a_sentence_marks_a_name() {
        let prompt = Prompt::parse("Where is Paris? Tell me about HTTP and python.");
        let named: Vec<&str> = prompt
            .words
            .iter()
            .filter(|w| w.named)
            .map(|w| w.norm.as_str())
            .collect();
        assert_eq!(named, ["paris", "http", "python"]);
    }

    #[test]
    fn clauses_end_at_punctuation() {
        let prompt = Prompt::parse("In Rust, how?");
        let clauses: Vec<usize> = prompt.words.iter().map(|w| w.clause).collect();
        assert_eq!(clauses, [0, 0, 1]);
    }

    #[test]
    fn odd_text_gives_words_or_nothing_without_panicking() {
        for text in ["", "'", "...", "+#", "'s", "ß'ẞ", "1,2", ",,9", "a'", "é/"] {
            let _ = Prompt::parse(text);
        }
    }
}
