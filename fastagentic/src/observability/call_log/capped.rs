//! Lists keyed by a label that cannot grow without bound: past a cap, a
//! new label's values go to one shared entry, [`OTHER`].

/// The label of whatever went past a cap.
pub(crate) const OTHER: &str = "other";

/// The entry of `items` for `label` (`is` tells whether an entry is a
/// label's), made by `new` when there is none; once `items` holds `cap`
/// entries, a new label gets the [`OTHER`] entry instead.
pub(crate) fn entry<'a, T>(
    items: &'a mut Vec<T>,
    cap: usize,
    label: &str,
    is: impl Fn(&T, &str) -> bool,
    new: impl FnOnce(&str) -> T,
) -> &'a mut T {
    let label = if items.len() < cap || items.iter().any(|item| is(item, label)) {
        label
    } else {
        OTHER
    };
    let index = match items.iter().position(|item| is(item, label)) {
        Some(index) => index,
        None => {
            items.push(new(label));
            items.len() - 1
        }
    };
    &mut items[index]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_the_cap_new_labels_share_other() {
        let mut items: Vec<(String, u32)> = Vec::new();
        for label in ["a", "b", "c", "d", "a", "e"] {
            entry(
                &mut items,
                2,
                label,
                |(l, _), want| l == want,
                |l| (l.to_owned(), 0),
            )
            .1 += 1;
        }
        assert_eq!(
            items,
            [
                ("a".to_owned(), 2),
                ("b".to_owned(), 1),
                (OTHER.to_owned(), 3)
            ]
        );
    }
}
