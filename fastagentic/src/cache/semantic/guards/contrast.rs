//! Contrast groups: two prompts contrast on a group when each uses a class
//! of it that the other does not ("sum" against "average"). A prompt that
//! uses none of a group's words contrasts with nothing: leaving a word out
//! is how paraphrases differ, using its opposite is how near misses do.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use super::lexicon::{self, Group};
use super::prompt::normalise;

/// A contrast list with every term split into normalised words.
pub(super) struct Contrasts {
    /// group -> class -> term -> words.
    groups: Vec<Vec<Vec<Vec<String>>>>,
}

/// Units and currencies.
pub(super) static UNITS: LazyLock<Contrasts> = LazyLock::new(|| Contrasts::new(lexicon::UNITS));
/// Operations (sum / average, encrypt / decrypt, ...).
pub(super) static OPERATIONS: LazyLock<Contrasts> =
    LazyLock::new(|| Contrasts::new(lexicon::OPERATIONS));
/// Comparisons and qualities (faster / slower, first / last, ...).
pub(super) static COMPARISONS: LazyLock<Contrasts> =
    LazyLock::new(|| Contrasts::new(lexicon::COMPARISONS));
/// Question words (why / when / where / how much, ...).
pub(super) static QUESTIONS: LazyLock<Contrasts> =
    LazyLock::new(|| Contrasts::new(lexicon::QUESTIONS));

impl Contrasts {
    fn new(groups: &[Group]) -> Self {
        let groups = groups
            .iter()
            .map(|group| {
                group
                    .iter()
                    .map(|class| {
                        class
                            .iter()
                            .map(|term| term.split_whitespace().map(normalise).collect())
                            .collect()
                    })
                    .collect()
            })
            .collect();
        Self { groups }
    }

    /// The (group, class) pairs whose terms occur in `words`.
    fn classes(&self, words: &[&str]) -> BTreeSet<(usize, usize)> {
        let mut found = BTreeSet::new();
        for (g, group) in self.groups.iter().enumerate() {
            for (c, class) in group.iter().enumerate() {
                let occurs = class.iter().any(|term| match term.as_slice() {
                    [] => false,
                    [one] => words.iter().any(|w| inflects(w, one)),
                    several => words
                        .windows(several.len())
                        .any(|window| window.iter().zip(several).all(|(w, t)| w == t)),
                });
                if occurs {
                    found.insert((g, c));
                }
            }
        }
        found
    }

    /// Whether the two word sequences contrast on some group.
    pub(super) fn contrast(&self, a: &[&str], b: &[&str]) -> bool {
        let in_a = self.classes(a);
        let in_b = self.classes(b);
        let groups = |only: &BTreeSet<(usize, usize)>, other: &BTreeSet<(usize, usize)>| {
            only.difference(other)
                .map(|&(g, _)| g)
                .collect::<BTreeSet<_>>()
        };
        !groups(&in_a, &in_b).is_disjoint(&groups(&in_b, &in_a))
    }
}

/// Whether `word` is `term` or an inflection of it: "declining" for
/// "decline", "stopped" for "stop", "accepted" for "accept".
fn inflects(word: &str, term: &str) -> bool {
    let Some(ending) = word.strip_prefix(term) else {
        return term
            .strip_suffix('e')
            .and_then(|stem| word.strip_prefix(stem))
            .is_some_and(|ending| ending == "ing" || ending == "ed");
    };
    match ending {
        "" | "ing" | "ed" => true,
        "d" => term.ends_with('e'),
        doubled => {
            let last = term.chars().last();
            let mut rest = doubled.chars();
            term.len() >= 3 && rest.next() == last && matches!(rest.as_str(), "ing" | "ed")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::semantic::guards::prompt::Prompt;

    fn contrast(list: &Contrasts, a: &str, b: &str) -> bool {
        let (a, b) = (Prompt::parse(a), Prompt::parse(b));
        let a: Vec<&str> = a.norms().collect();
        let b: Vec<&str> = b.norms().collect();
        list.contrast(&a, &b)
    }

    #[test]
    fn different_classes_of_one_group_contrast() {
        assert!(contrast(
            &OPERATIONS,
            "the sum of 3 and 4",
            "the average of 3 and 4"
        ));
        assert!(contrast(
            &COMPARISONS,
            "Is it more reliable?",
            "Is it less reliable?"
        ));
        assert!(contrast(
            &QUESTIONS,
            "How much does it cost?",
            "How long does it take?"
        ));
    }

    #[test]
    fn synonyms_and_left_out_words_do_not() {
        assert!(!contrast(
            &OPERATIONS,
            "the sum of 3 and 4",
            "the total of 3 and 4"
        ));
        assert!(!contrast(
            &COMPARISONS,
            "the fastest way",
            "the quickest way"
        ));
        assert!(!contrast(&QUESTIONS, "Why is it so?", "What makes it so?"));
    }

    #[test]
    fn inflections_match_their_term() {
        assert!(inflects("declining", "decline"));
        assert!(inflects("declined", "decline"));
        assert!(inflects("stopping", "stop"));
        assert!(inflects("accepted", "accept"));
        assert!(!inflects("stopper", "stop"));
        assert!(contrast(
            &OPERATIONS,
            "an email declining an offer",
            "an email accepting an offer"
        ));
    }

    #[test]
    fn terms_of_several_words_match() {
        assert!(contrast(&UNITS, "100 miles per hour", "100 km/h"));
        assert!(!contrast(&UNITS, "100 mph", "100 miles per hour"));
    }
}
