//! Repeated runs (`--runs N`): the report's tables show each figure's
//! median over the runs, and a spread section shows its range (min–max),
//! so a reader can tell noise from change. Ratios to the minimal handler
//! are taken within each run (same machine state), then ranged.

use std::fmt::Write as _;

use crate::load::LoadResult;
use crate::report::{
    Report, RequestMeasure, RequestRow, Round, Startup, StreamMeasure, StreamRow, fmt_count, label,
    median,
};
use crate::streams::StreamResult;

impl Report {
    /// The report of `rounds`: each figure the median over the runs that
    /// measured it; `shell` gives everything else (date, machine, notes).
    /// With more than one run the runs are kept for [`Report::spread_markdown`].
    pub fn from_rounds(mut rounds: Vec<Round>, shell: Report) -> Report {
        let mut report = shell;
        if rounds.len() == 1 {
            let round = rounds.remove(0);
            report.requests = round.requests;
            report.streams = round.streams;
            report.startup = round.startup;
            return report;
        }
        let Some(first) = rounds.first() else {
            return report;
        };
        report.requests = first
            .requests
            .iter()
            .map(|row| RequestRow {
                path: row.path,
                outcome: median_outcome(
                    rounds
                        .iter()
                        .filter_map(|r| r.requests.iter().find(|x| x.path == row.path))
                        .map(|x| &x.outcome),
                    median_request,
                ),
            })
            .collect();
        report.streams = first
            .streams
            .iter()
            .map(|row| StreamRow {
                path: row.path,
                n: row.n,
                outcome: median_outcome(
                    rounds
                        .iter()
                        .filter_map(|r| {
                            r.streams
                                .iter()
                                .find(|x| x.path == row.path && x.n == row.n)
                        })
                        .map(|x| &x.outcome),
                    median_stream,
                ),
            })
            .collect();
        report.startup = Startup {
            fastagentic_ms: rounds
                .iter()
                .flat_map(|r| r.startup.fastagentic_ms.iter().copied())
                .collect(),
            baseline_ms: rounds
                .iter()
                .flat_map(|r| r.startup.baseline_ms.iter().copied())
                .collect(),
        };
        for row in &report.requests {
            let failed = rounds
                .iter()
                .filter_map(|r| r.requests.iter().find(|x| x.path == row.path))
                .filter_map(|x| x.outcome.as_ref().err())
                .count();
            if failed > 0 && row.outcome.is_ok() {
                report.notes.push(format!(
                    "{}: request/response failed in {failed} of {} runs; the figures are the other runs'",
                    label(row.path),
                    rounds.len()
                ));
            }
        }
        report.rounds = rounds;
        report
    }

    /// The report of run `index` alone (for its ratios and targets).
    fn round_report(&self, index: usize) -> Option<Report> {
        let round = self.rounds.get(index)?;
        Some(Report {
            requests: round.requests.clone(),
            streams: round.streams.clone(),
            startup: round.startup.clone(),
            rounds: Vec::new(),
            ..self.clone()
        })
    }

    /// Each run on its own, in order.
    pub fn round_reports(&self) -> Vec<Report> {
        (0..self.rounds.len())
            .filter_map(|i| self.round_report(i))
            .collect()
    }

    /// The spread section: every figure's range over the runs, ratios to
    /// the minimal handler per run, and in how many runs each target was
    /// met. Empty for a single run.
    pub fn spread_markdown(&self, md: &mut String) {
        let runs = self.round_reports();
        if runs.len() < 2 {
            return;
        }
        let n = runs.len();
        let _ = writeln!(md, "\n## Spread over {n} runs\n");
        let _ = writeln!(
            md,
            "The tables above show each figure's median over the {n} runs; here each one's range, min–max. Ratios (\"x base\", \"x nginx\") are taken within each run, then ranged. The Portkey gateway and LiteLLM rows come from the first run only.\n"
        );
        let _ = writeln!(
            md,
            "| path | c=32 req/s | x base | x nginx | added p50 over direct (c=1) µs | peak RSS MB |"
        );
        let _ = writeln!(md, "|---|---|---|---|---|---|");
        for row in &self.requests {
            let per_run: Vec<(&Report, &RequestMeasure)> = runs
                .iter()
                .filter_map(|r| Some((r, r.request(row.path)?)))
                .collect();
            if per_run.len() < 2 {
                continue;
            }
            let ratio_to = |other: &str| {
                range(
                    per_run
                        .iter()
                        .filter_map(|(r, m)| Some(m.c32.rps / r.request(other)?.c32.rps)),
                    |x| format!("{x:.2}"),
                )
            };
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} |",
                label(row.path),
                range(per_run.iter().map(|(_, m)| m.c32.rps), fmt_count),
                ratio_to("baseline"),
                ratio_to("nginx"),
                if row.path == "direct" {
                    "-".to_owned()
                } else {
                    range(
                        per_run.iter().filter_map(|(r, _)| r.added_p50_us(row.path)),
                        |x| format!("{x:.0}"),
                    )
                },
                range(per_run.iter().filter_map(|(_, m)| m.rss_mb), |x| {
                    format!("{x:.1}")
                }),
            );
        }
        let _ = writeln!(
            md,
            "\n| streams: path | N | streams ok (fewest) | first chunk p99 ms | gap p99 ms | peak RSS MB |"
        );
        let _ = writeln!(md, "|---|---|---|---|---|---|");
        for row in &self.streams {
            let per_run: Vec<&StreamMeasure> = runs
                .iter()
                .filter_map(|r| r.stream(row.path, row.n))
                .collect();
            if per_run.len() < 2 {
                continue;
            }
            let fewest = per_run.iter().map(|m| m.result.ok).min().unwrap_or(0);
            let _ = writeln!(
                md,
                "| {} | {} | {} / {} | {} | {} | {} |",
                label(row.path),
                fmt_count(row.n as f64),
                fmt_count(fewest as f64),
                fmt_count(row.n as f64),
                range(per_run.iter().map(|m| m.result.first_p99_ms), |x| {
                    format!("{x:.0}")
                }),
                range(per_run.iter().map(|m| m.result.gap_p99_ms), |x| {
                    format!("{x:.1}")
                }),
                range(per_run.iter().filter_map(|m| m.rss_mb), |x| {
                    format!("{x:.1}")
                }),
            );
        }
        let _ = writeln!(md, "\n| target | met in |");
        let _ = writeln!(md, "|---|---|");
        let per_run: Vec<_> = runs.iter().map(Report::targets).collect();
        for (i, check) in self.targets().iter().enumerate() {
            let verdicts: Vec<Option<bool>> = per_run
                .iter()
                .map(|checks| checks.get(i).and_then(|c| c.met))
                .collect();
            let measured = verdicts.iter().filter(|v| v.is_some()).count();
            let met = verdicts.iter().filter(|v| **v == Some(true)).count();
            let _ = writeln!(
                md,
                "| #{} {} | {} |",
                check.issue,
                check.target,
                if measured == 0 {
                    "not measured".to_owned()
                } else {
                    format!("{met} of {measured} runs")
                }
            );
        }
    }
}

/// `min–max` of finite values, formatted; `-` when there are none.
fn range(values: impl Iterator<Item = f64>, fmt: impl Fn(f64) -> String) -> String {
    let values: Vec<f64> = values.filter(|x| x.is_finite()).collect();
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    match values.len() {
        0 => "-".into(),
        _ if fmt(min) == fmt(max) => fmt(min),
        _ => format!("{}–{}", fmt(min), fmt(max)),
    }
}

/// The median of the runs that measured a row, or the first run's reason
/// when none did.
fn median_outcome<'a, T: 'a>(
    outcomes: impl Iterator<Item = &'a Result<T, String>>,
    median_of: fn(&[&T]) -> T,
) -> Result<T, String> {
    let mut measured = Vec::new();
    let mut first_error = None;
    for outcome in outcomes {
        match outcome {
            Ok(m) => measured.push(m),
            Err(why) => {
                first_error.get_or_insert_with(|| why.clone());
            }
        }
    }
    if measured.is_empty() {
        return Err(first_error.unwrap_or_else(|| "not measured".to_owned()));
    }
    Ok(median_of(&measured))
}

/// The median of the values some runs have; `None` when none has one.
fn median_some(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    let values: Vec<f64> = values.flatten().collect();
    (!values.is_empty()).then(|| median(&values))
}

fn median_load(runs: &[&LoadResult]) -> LoadResult {
    let m = |f: fn(&LoadResult) -> f64| median(&runs.iter().map(|r| f(r)).collect::<Vec<_>>());
    LoadResult {
        concurrency: runs.first().map_or(0, |r| r.concurrency),
        requests: m(|r| r.requests as f64) as u64,
        // Errors in any run count.
        errors: runs.iter().map(|r| r.errors).sum(),
        rps: m(|r| r.rps),
        p50_us: m(|r| r.p50_us),
        p99_us: m(|r| r.p99_us),
        first_error: runs.iter().find_map(|r| r.first_error.clone()),
    }
}

fn median_request(runs: &[&RequestMeasure]) -> RequestMeasure {
    let loads = |f: fn(&RequestMeasure) -> &LoadResult| {
        median_load(&runs.iter().map(|r| f(r)).collect::<Vec<_>>())
    };
    RequestMeasure {
        c1: loads(|r| &r.c1),
        c32: loads(|r| &r.c32),
        rss_mb: median_some(runs.iter().map(|r| r.rss_mb)),
        rss_of: runs.first().map_or_else(String::new, |r| r.rss_of.clone()),
        peer_rss_mb: median_some(runs.iter().map(|r| r.peer_rss_mb)),
        cpu_us_per_request: median_some(runs.iter().map(|r| r.cpu_us_per_request)),
        client_cpu_us_per_request: median_some(runs.iter().map(|r| r.client_cpu_us_per_request)),
        // A cache hit must leave the upstream alone in every run: the most.
        upstream_calls: runs.iter().filter_map(|r| r.upstream_calls).max(),
    }
}

fn median_stream(runs: &[&StreamMeasure]) -> StreamMeasure {
    let m = |f: fn(&StreamResult) -> f64| {
        median(&runs.iter().map(|r| f(&r.result)).collect::<Vec<_>>())
    };
    let mut failures = std::collections::BTreeMap::new();
    for run in runs {
        for (why, count) in &run.result.failures {
            *failures.entry(why.clone()).or_insert(0) += count;
        }
    }
    StreamMeasure {
        result: StreamResult {
            n: runs.first().map_or(0, |r| r.result.n),
            // Every stream must complete in every run: the fewest.
            ok: runs.iter().map(|r| r.result.ok).min().unwrap_or(0),
            first_p50_ms: m(|r| r.first_p50_ms),
            first_p99_ms: m(|r| r.first_p99_ms),
            gap_p50_ms: m(|r| r.gap_p50_ms),
            gap_p99_ms: m(|r| r.gap_p99_ms),
            wall_s: m(|r| r.wall_s),
            failures,
        },
        rss_mb: median_some(runs.iter().map(|r| r.rss_mb)),
        rss_of: runs.first().map_or_else(String::new, |r| r.rss_of.clone()),
        cpu_s: median_some(runs.iter().map(|r| r.cpu_s)),
        client_cpu_s: median_some(runs.iter().map(|r| r.client_cpu_s)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_medians() {
        assert_eq!(
            range([3.0, 1.0, 2.0].into_iter(), |x| format!("{x:.0}")),
            "1–3"
        );
        assert_eq!(range([2.0, 2.04].into_iter(), |x| format!("{x:.1}")), "2.0");
        assert_eq!(range(std::iter::empty(), |x| format!("{x}")), "-");
        let runs = [
            StreamMeasure {
                result: StreamResult {
                    n: 10,
                    ok: 10,
                    first_p99_ms: 5.0,
                    ..StreamResult::default()
                },
                rss_mb: Some(1.0),
                rss_of: "server".into(),
                cpu_s: None,
                client_cpu_s: None,
            },
            StreamMeasure {
                result: StreamResult {
                    n: 10,
                    ok: 9,
                    first_p99_ms: 7.0,
                    ..StreamResult::default()
                },
                rss_mb: None,
                rss_of: "server".into(),
                cpu_s: None,
                client_cpu_s: None,
            },
        ];
        let m = median_stream(&runs.iter().collect::<Vec<_>>());
        assert_eq!(
            (m.result.ok, m.result.first_p99_ms, m.rss_mb),
            (9, 6.0, Some(1.0))
        );
    }
}
