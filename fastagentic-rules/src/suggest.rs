//! "Did you mean ...?" suggestions for names from a closed set.
//!
//! Every rule that rejects a name (a hook event, a strategy mode, a config key,
//! a provider slug) uses [`closest`], so all suggestions follow one policy.

/// Returns the candidate most similar to `input`, if it is close enough to be
/// a plausible typo.
///
/// Similarity is the edit distance (insertions, deletions, substitutions and
/// swaps of two neighbouring characters, ignoring ASCII case). A candidate is
/// plausible when its distance is at most `max(1, input length / 3)`. On a tie
/// the earlier candidate wins, so callers control precedence by order.
///
/// ```
/// use fastagentic_rules::suggest::closest;
/// assert_eq!(closest("on_llm_ends", &["on_llm_start", "on_llm_end"]), Some("on_llm_end"));
/// assert_eq!(closest("banana", &["on_llm_start", "on_llm_end"]), None);
/// ```
pub fn closest<'a>(input: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let input: Vec<char> = input.chars().map(|c| c.to_ascii_lowercase()).collect();
    let limit = (input.len() / 3).max(1);
    let mut best: Option<(usize, &'a str)> = None;
    for &candidate in candidates {
        let other: Vec<char> = candidate.chars().map(|c| c.to_ascii_lowercase()).collect();
        // The distance is at least the difference in length: skip the work.
        if input.len().abs_diff(other.len()) > limit {
            continue;
        }
        let distance = edit_distance(&input, &other);
        if distance <= limit && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// Optimal string alignment distance: Levenshtein plus adjacent swaps, so
/// `on_llm_edn` is one edit away from `on_llm_end`.
fn edit_distance(a: &[char], b: &[char]) -> usize {
    // Three rolling rows: two rows back (for swaps), previous, current.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        current[0] = i;
        for j in 1..=b.len() {
            let substitution = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + substitution);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(before[j - 2] + 1);
            }
            current[j] = best;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn distance(a: &str, b: &str) -> usize {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        edit_distance(&a, &b)
    }

    #[test]
    fn distance_counts_each_kind_of_edit_once() {
        assert_eq!(distance("", ""), 0);
        assert_eq!(distance("abc", ""), 3);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("fallback", "fallback"), 0);
        assert_eq!(distance("fallbak", "fallback"), 1); // deletion
        assert_eq!(distance("fallbacks", "fallback"), 1); // insertion
        assert_eq!(distance("fallbeck", "fallback"), 1); // substitution
        assert_eq!(distance("fallbcak", "fallback"), 1); // swap
        assert_eq!(distance("kitten", "sitting"), 3);
    }

    #[test]
    fn suggests_the_nearest_plausible_candidate() {
        let modes = ["single", "loadbalance", "fallback", "conditional"];
        assert_eq!(closest("fallbak", &modes), Some("fallback"));
        assert_eq!(closest("load_balance", &modes), Some("loadbalance"));
        assert_eq!(closest("conditonal", &modes), Some("conditional"));
        assert_eq!(
            closest("stratgy", &["strategy", "targets"]),
            Some("strategy")
        );
    }

    #[test]
    fn ignores_ascii_case() {
        assert_eq!(closest("Fallback", &["fallback"]), Some("fallback"));
        assert_eq!(closest("ON_ERROR", &["on_error"]), Some("on_error"));
    }

    #[test]
    fn refuses_implausible_candidates() {
        assert_eq!(closest("round_robin", &["single", "fallback"]), None);
        assert_eq!(closest("x", &["abc"]), None);
        assert_eq!(closest("anything", &[]), None);
    }

    #[test]
    fn short_inputs_allow_one_edit() {
        assert_eq!(closest("a", &["b"]), Some("b"));
        assert_eq!(closest("ab", &["abc"]), Some("abc"));
        assert_eq!(closest("ab", &["abcd"]), None);
    }

    #[test]
    fn ties_go_to_the_earlier_candidate() {
        assert_eq!(closest("cat", &["bat", "cot"]), Some("bat"));
        assert_eq!(closest("cat", &["cot", "bat"]), Some("cot"));
        // A closer later candidate still wins.
        assert_eq!(
            closest("fallbac", &["fallbacks", "fallback"]),
            Some("fallback")
        );
    }

    #[test]
    fn handles_non_ascii_input() {
        assert_eq!(closest("fällback", &["fallback"]), Some("fallback"));
        assert_eq!(closest("ü", &["u"]), Some("u"));
    }
}
