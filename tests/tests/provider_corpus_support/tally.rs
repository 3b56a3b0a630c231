//! Counting agreement per provider, and the report: the table and every
//! field where we differ from both peers (or the peers differ).

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::Value;

use super::Provider;
use super::normalize::generalize;
use super::ways::Seen;

/// One field where our value differs from both peers'.
pub struct Difference {
    entry: String,
    path: String,
    ours: Option<Value>,
    portkey: Option<Value>,
    litellm: Option<Value>,
}

/// A provider's agreement figures.
#[derive(Default)]
pub struct Tally {
    /// Fields compared (present in at least one way's observation).
    pub compared: usize,
    /// Ours equal to Portkey's or LiteLLM's.
    pub agree_any: usize,
    /// Ours equal to Portkey's.
    pub agree_portkey: usize,
    /// Ours equal to LiteLLM's.
    pub agree_litellm: usize,
    /// Portkey's equal to LiteLLM's.
    pub peers_agree: usize,
    differences: Vec<Difference>,
    /// Per field (indices generalized): how often ours differs from both.
    ours_alone: BTreeMap<String, usize>,
    /// Per field (indices generalized): how often the peers differ.
    peers_split: BTreeMap<String, usize>,
    /// Requests whose status differs between ways: entry, then
    /// `status/forwarded` for ours, Portkey, LiteLLM.
    outcome_splits: Vec<(String, [String; 3])>,
    /// Provider-side request fields, finish reasons and answer texts where
    /// the peers differ.
    request_splits: Vec<Difference>,
}

impl Tally {
    /// Compares one request's three observations, field by field.
    pub fn add(&mut self, entry: &str, provider: Provider, seen: &Seen) {
        let fields: BTreeMap<&str, BTreeMap<String, Value>> = seen
            .by_way
            .iter()
            .map(|(way, observed)| (*way, observed.fields(provider)))
            .collect();
        let empty = BTreeMap::new();
        let ours = fields.get("ours").unwrap_or(&empty);
        let portkey = fields.get("portkey").unwrap_or(&empty);
        let litellm = fields.get("litellm").unwrap_or(&empty);
        let mut paths: Vec<&String> = ours
            .keys()
            .chain(portkey.keys())
            .chain(litellm.keys())
            .collect();
        paths.sort();
        paths.dedup();
        let outcome = |fields: &BTreeMap<String, Value>| {
            let get = |key: &str| fields.get(key).map_or("-".to_owned(), Value::to_string);
            format!("{}/{}", get("status"), get("forwarded"))
        };
        let outcomes = [outcome(ours), outcome(portkey), outcome(litellm)];
        if outcomes[0] != outcomes[1] || outcomes[0] != outcomes[2] {
            self.outcome_splits.push((entry.to_owned(), outcomes));
        }
        for path in paths {
            let (o, p, l) = (ours.get(path), portkey.get(path), litellm.get(path));
            self.compared += 1;
            self.agree_portkey += usize::from(o == p);
            self.agree_litellm += usize::from(o == l);
            self.peers_agree += usize::from(p == l);
            if p != l {
                *self.peers_split.entry(generalize(path)).or_default() += 1;
                if path.starts_with("request.")
                    || path.ends_with("finish_reason")
                    || path.ends_with("message.content")
                {
                    self.request_splits.push(Difference {
                        entry: entry.to_owned(),
                        path: path.clone(),
                        ours: o.cloned(),
                        portkey: p.cloned(),
                        litellm: l.cloned(),
                    });
                }
            }
            if o == p || o == l {
                self.agree_any += 1;
            } else {
                *self.ours_alone.entry(generalize(path)).or_default() += 1;
                self.differences.push(Difference {
                    entry: entry.to_owned(),
                    path: path.clone(),
                    ours: o.cloned(),
                    portkey: p.cloned(),
                    litellm: l.cloned(),
                });
            }
        }
    }

    /// The share of compared fields that agree with at least one peer.
    pub fn agreement(&self) -> f64 {
        if self.compared == 0 {
            return 0.0;
        }
        self.agree_any as f64 / self.compared as f64
    }

    /// The per-provider table.
    pub fn table(tallies: &[(Provider, Tally)]) -> String {
        let pct = |n: usize, of: usize| 100.0 * n as f64 / of.max(1) as f64;
        let mut out = String::from(
            "| provider | fields compared | agree with a peer | with Portkey | with LiteLLM | peers agree |\n|---|---|---|---|---|---|\n",
        );
        for (provider, t) in tallies {
            let _ = writeln!(
                out,
                "| {} | {} | {:.1}% | {:.1}% | {:.1}% | {:.1}% |",
                provider.name(),
                t.compared,
                pct(t.agree_any, t.compared),
                pct(t.agree_portkey, t.compared),
                pct(t.agree_litellm, t.compared),
                pct(t.peers_agree, t.compared),
            );
        }
        out
    }

    /// Every field where ours differs from both peers.
    pub fn differences(&self, provider: Provider) -> String {
        let show = |v: &Option<Value>| match v {
            Some(v) => {
                let text = v.to_string();
                // Cut at a character, not a byte: values may be any text.
                match text.char_indices().nth(60) {
                    Some((cut, _)) => format!("{}...", &text[..cut]),
                    None => text,
                }
            }
            None => "-".to_owned(),
        };
        let rows = |out: &mut String, indent: &str, differences: &[Difference]| {
            for d in differences {
                let _ = writeln!(
                    out,
                    "{indent}{:<32} {:<48} {} | {} | {}",
                    d.entry,
                    d.path,
                    show(&d.ours),
                    show(&d.portkey),
                    show(&d.litellm)
                );
            }
        };
        let mut out = format!(
            "{}: {} fields differ from both peers (ours | portkey | litellm)\n",
            provider.name(),
            self.differences.len()
        );
        out.push_str("  by field (ours differs from both peers):\n");
        for (path, count) in &self.ours_alone {
            let _ = writeln!(out, "    {count:>3} x {path}");
        }
        out.push_str("  by field (Portkey and LiteLLM differ):\n");
        for (path, count) in &self.peers_split {
            let _ = writeln!(out, "    {count:>3} x {path}");
        }
        out.push_str("  outcomes that differ (status/requests sent: ours | portkey | litellm):\n");
        for (entry, [o, p, l]) in &self.outcome_splits {
            let _ = writeln!(out, "    {entry:<32} {o} | {p} | {l}");
        }
        out.push_str("  requests, finish reasons and texts where the peers differ (ours | portkey | litellm):\n");
        rows(&mut out, "    ", &self.request_splits);
        out.push_str("  every difference from both peers:\n");
        rows(&mut out, "  ", &self.differences);
        out
    }
}
