//! From a validation error's JSON path to the tokens it blames.

use fastagentic_macro_support::SpanRange;
use fastagentic_rules::portkey::{Blame, PathSegment};

use crate::parse::Node;

/// The tokens of the key (for [`Blame::Key`]) or value (for [`Blame::Value`])
/// at `path`; the closest enclosing value when the path leads nowhere.
pub(crate) fn locate(root: &Node, path: &[PathSegment], blame: Blame) -> SpanRange {
    let mut node = root;
    for (depth, segment) in path.iter().enumerate() {
        let last = depth + 1 == path.len();
        match (segment, node) {
            (PathSegment::Key(key), Node::Object(entries, _)) => {
                let Some(entry) = entries.iter().find(|entry| entry.key == *key) else {
                    return node.range();
                };
                if last && blame == Blame::Key {
                    return SpanRange::single(entry.key_span);
                }
                node = &entry.value;
            }
            (PathSegment::Index(index), Node::Array(items, _)) => {
                let Some(item) = items.get(*index) else {
                    return node.range();
                };
                node = item;
            }
            _ => return node.range(),
        }
    }
    node.range()
}
