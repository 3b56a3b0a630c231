//! The replaced-word check: the same sentence with one or two words
//! replaced ("count the words" / "count the lines", "people who live in
//! Tokyo" / "people who work in Tokyo"). The most common near miss of a
//! semantic cache is a template with one slot changed; a misspelling
//! ("instal" for "install") or a different function word ("how do I" /
//! "how can I") is not a replacement.

use super::lexicon;
use super::prompt::Prompt;

/// The most words a replacement may span on either side.
const MAX_REPLACED: usize = 2;

/// Whether `b` is `a` with at most [`MAX_REPLACED`] consecutive words
/// replaced by others that are not misspellings of them, the rest equal.
pub(super) fn replaced(a: &Prompt, b: &Prompt) -> bool {
    let a: Vec<&str> = a.norms().filter(|w| !is_article(w)).collect();
    let b: Vec<&str> = b.norms().filter(|w| !is_article(w)).collect();
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let room = a.len().min(b.len()) - prefix;
    let suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take(room)
        .take_while(|(x, y)| x == y)
        .count();
    let (old, new) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    let spans = |words: &[&str]| (1..=MAX_REPLACED).contains(&words.len());
    if prefix + suffix < 2 || !spans(old) || !spans(new) {
        return false;
    }
    let only_function_words = old
        .iter()
        .chain(new)
        .all(|w| lexicon::FUNCTION_WORDS.contains(w));
    let misspelt = old.len() == new.len() && old.iter().zip(new).all(|(x, y)| misspelling(x, y));
    !only_function_words && !misspelt
}

fn is_article(word: &str) -> bool {
    matches!(word, "a" | "an" | "the")
}

/// Whether two words are one edit apart (two for long words): an insertion,
/// a deletion, a substitution or two neighbours swapped (optimal string
/// alignment distance).
fn misspelling(x: &str, y: &str) -> bool {
    let allowed = if x.chars().count().min(y.chars().count()) >= 7 {
        2
    } else {
        1
    };
    strsim::osa_distance(x, y) <= allowed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replaced_text(a: &str, b: &str) -> bool {
        replaced(&Prompt::parse(a), &Prompt::parse(b))
    }

    #[test]
    fn one_replaced_slot_is_found() {
        assert!(replaced_text(
            "Count the words in a text file.",
            "Count the lines in a text file."
        ));
        assert!(replaced_text(
            "How many people live in Tokyo?",
            "How many people work in Tokyo?"
        ));
        assert!(replaced_text(
            "Delete all rows from the users table.",
            "Delete duplicate rows from the users table."
        ));
    }

    #[test]
    fn misspellings_function_words_and_rewrites_are_not() {
        assert!(!replaced_text(
            "How do I install Node?",
            "how do i instal node"
        ));
        assert!(!replaced_text(
            "How do I sort a list?",
            "How can I sort a list?"
        ));
        assert!(!replaced_text(
            "Why is the sky blue?",
            "why is teh sky blue"
        ));
        assert!(!replaced_text(
            "Explain what inflation is.",
            "Hi there! Would you explain what inflation is, please?"
        ));
    }

    #[test]
    fn a_swap_of_neighbours_is_one_edit() {
        assert!(misspelling("rules", "ruels"));
        assert!(misspelling("coffee", "cofee"));
        assert!(misspelling("environment", "enviroment"));
        assert!(!misspelling("live", "work"));
        assert!(!misspelling("", "abc"));
    }
}
