//! The word-order check: the same words with two of them swapped across a
//! word that stays put ("from a patient to a doctor" / "from a doctor to a
//! patient", "Rust faster than Go" / "Go faster than Rust", "kilograms to
//! pounds" / "pounds to kilograms").
//!
//! A reordered paraphrase moves a whole phrase ("In Rust, how do I ...?" /
//! "How do I ... in Rust?"), usually across a comma, and rarely carries two
//! content words to opposite sides of a third; a role or direction swap does
//! exactly that.

use std::collections::HashMap;

use super::lexicon;
use super::prompt::Prompt;

/// Whether two content words shared by both prompts trade places around a
/// third shared word, all within one clause in each prompt.
pub(super) fn swapped(a: &Prompt, b: &Prompt) -> bool {
    let once_b = once(b);
    // (position in a, position in b) of each word both prompts use once.
    let shared: Vec<(usize, usize)> = once(a)
        .iter()
        .filter_map(|(norm, &ia)| once_b.get(norm).map(|&ib| (ia, ib)))
        .collect();
    let content = |i: usize| is_content(&a.words[i].norm);
    let same_clause = |p: &Prompt, i: usize, j: usize| p.words[i].clause == p.words[j].clause;
    shared.iter().any(|&(ua, ub)| {
        shared.iter().any(|&(va, vb)| {
            ua < va
                && vb < ub
                && content(ua)
                && content(va)
                && same_clause(a, ua, va)
                && same_clause(b, ub, vb)
                && shared
                    .iter()
                    .any(|&(wa, wb)| ua < wa && wa < va && vb < wb && wb < ub)
        })
    })
}

/// Where each word that occurs exactly once in the prompt (articles aside)
/// stands.
fn once(prompt: &Prompt) -> HashMap<&str, usize> {
    let mut seen: HashMap<&str, (usize, usize)> = HashMap::new();
    for (i, word) in prompt.words.iter().enumerate() {
        if matches!(word.norm.as_str(), "a" | "an" | "the") {
            continue;
        }
        seen.entry(word.norm.as_str()).or_insert((0, i)).0 += 1;
    }
    seen.into_iter()
        .filter(|(_, (count, _))| *count == 1)
        .map(|(norm, (_, i))| (norm, i))
        .collect()
}

fn is_content(norm: &str) -> bool {
    !lexicon::FUNCTION_WORDS.contains(&norm)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn swapped_text(a: &str, b: &str) -> bool {
        swapped(&Prompt::parse(a), &Prompt::parse(b))
    }

    #[test]
    fn role_and_direction_swaps_are_found() {
        assert!(swapped_text(
            "Write a letter from a patient to a doctor.",
            "Write a letter from a doctor to a patient."
        ));
        assert!(swapped_text(
            "How do I convert kilograms to pounds?",
            "How do I convert pounds to kilograms?"
        ));
        assert!(swapped_text(
            "Is Rust faster than Go?",
            "Is Go faster than Rust?"
        ));
        assert!(swapped_text(
            "Did Google acquire YouTube?",
            "Did YouTube acquire Google?"
        ));
    }

    #[test]
    fn a_phrase_moved_across_a_comma_is_not_a_swap() {
        assert!(!swapped_text(
            "In Rust, how do I read a file?",
            "How do I read a file in Rust?"
        ));
        assert!(!swapped_text(
            "If the dishwasher won't drain, what should I check?",
            "What should I check if the dishwasher won't drain?"
        ));
    }

    #[test]
    fn a_moved_word_without_a_pivot_is_not_a_swap() {
        assert!(!swapped_text(
            "A leap year has how many days?",
            "How many days are there in a leap year?"
        ));
    }
}
