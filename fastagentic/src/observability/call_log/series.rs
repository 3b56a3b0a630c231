//! Calls over time: fixed-width time buckets, each holding per endpoint
//! and model the calls, errors, retries, fallbacks, latency and cost, and
//! the cost per user. Old buckets fall off; keys per bucket are capped.

use std::collections::VecDeque;
use std::sync::Arc;

use serde::Serialize;

use super::capped::entry;
use super::latency::LatencySketch;
use super::record::CallRecord;

/// The width of one bucket, in seconds.
pub(crate) const BUCKET_SECONDS: u64 = 10;
/// Buckets kept: 15 minutes.
pub(crate) const BUCKETS_KEPT: usize = 90;
/// Endpoint-and-model series per bucket; more count as model `other`.
pub(crate) const SERIES_PER_BUCKET: usize = 32;
/// Users per bucket; more count as user `other`.
pub(crate) const USERS_PER_BUCKET: usize = 32;

/// The buckets, oldest first.
#[derive(Default)]
pub(crate) struct Series {
    buckets: VecDeque<Bucket>,
}

/// One time bucket.
pub(crate) struct Bucket {
    /// Its start, in milliseconds since the Unix epoch.
    pub start_ms: u64,
    /// Per endpoint and model.
    pub points: Vec<Point>,
    /// Cost per user (`""` for calls with no user).
    pub users: Vec<(String, f64)>,
}

/// The calls of one endpoint and model in one bucket.
pub(crate) struct Point {
    pub endpoint: Arc<str>,
    pub model: String,
    pub calls: u32,
    pub errors: u32,
    pub retries: u32,
    pub fallbacks: u32,
    pub cost_usd: f64,
    pub saved_usd: f64,
    pub latency: LatencySketch,
}

/// A bucket as the page reads it.
#[derive(Serialize)]
pub(crate) struct BucketView<'a> {
    pub t: u64,
    pub points: Vec<PointView<'a>>,
    pub users: Vec<UserCost<'a>>,
}

/// A point as the page reads it: percentiles computed.
#[derive(Serialize)]
pub(crate) struct PointView<'a> {
    pub endpoint: &'a str,
    pub model: &'a str,
    pub calls: u32,
    pub errors: u32,
    pub retries: u32,
    pub fallbacks: u32,
    pub cost_usd: f64,
    pub saved_usd: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
}

/// A user's cost in a bucket.
#[derive(Serialize)]
pub(crate) struct UserCost<'a> {
    pub user: &'a str,
    pub cost_usd: f64,
}

impl Series {
    /// Adds `record` to the bucket of its start time (a call that started
    /// before the oldest bucket kept is left out).
    pub(crate) fn add(&mut self, record: &CallRecord) {
        let start_ms = record.time_ms - record.time_ms % (BUCKET_SECONDS * 1000);
        let Some(bucket) = self.bucket(start_ms) else {
            return;
        };
        let point = bucket.point(&record.endpoint, &record.model);
        point.calls += 1;
        point.errors += u32::from(record.failed());
        point.retries += record.attempts.saturating_sub(1);
        point.fallbacks += u32::try_from(record.passed_over.len()).unwrap_or(u32::MAX);
        point.cost_usd += record.cost_usd;
        point.saved_usd += record.saved_usd;
        point.latency.observe(record.latency_ms);
        let user = record.user.as_deref().unwrap_or("");
        let is = |(u, _): &(String, f64), user: &str| u == user;
        entry(&mut bucket.users, USERS_PER_BUCKET, user, is, |u| {
            (u.to_owned(), 0.0)
        })
        .1 += record.cost_usd;
    }

    /// The bucket starting at `start_ms`, created (and the oldest dropped)
    /// when new. Buckets stay in time order: calls end out of order, but a
    /// late one goes into its own, older bucket.
    fn bucket(&mut self, start_ms: u64) -> Option<&mut Bucket> {
        let position = self.buckets.iter().rposition(|b| b.start_ms <= start_ms);
        let index = match position {
            Some(index) if self.buckets[index].start_ms == start_ms => index,
            found => {
                let at = found.map_or(0, |index| index + 1);
                if at == 0 && self.buckets.len() >= BUCKETS_KEPT {
                    return None;
                }
                self.buckets.insert(
                    at,
                    Bucket {
                        start_ms,
                        points: Vec::new(),
                        users: Vec::new(),
                    },
                );
                if self.buckets.len() > BUCKETS_KEPT {
                    self.buckets.pop_front();
                    at - 1
                } else {
                    at
                }
            }
        };
        self.buckets.get_mut(index)
    }

    /// Every bucket, oldest first, as the page reads them.
    pub(crate) fn view(&self) -> Vec<BucketView<'_>> {
        self.buckets
            .iter()
            .map(|bucket| BucketView {
                t: bucket.start_ms,
                points: bucket
                    .points
                    .iter()
                    .map(|p| PointView {
                        endpoint: &p.endpoint,
                        model: &p.model,
                        calls: p.calls,
                        errors: p.errors,
                        retries: p.retries,
                        fallbacks: p.fallbacks,
                        cost_usd: p.cost_usd,
                        saved_usd: p.saved_usd,
                        p50_ms: p.latency.quantile(0.50),
                        p95_ms: p.latency.quantile(0.95),
                        p99_ms: p.latency.quantile(0.99),
                    })
                    .collect(),
                users: bucket
                    .users
                    .iter()
                    .map(|(user, cost)| UserCost {
                        user,
                        cost_usd: *cost,
                    })
                    .collect(),
            })
            .collect()
    }
}

impl Bucket {
    fn point(&mut self, endpoint: &Arc<str>, model: &str) -> &mut Point {
        entry(
            &mut self.points,
            SERIES_PER_BUCKET,
            model,
            |p, model| *p.endpoint == **endpoint && p.model == model,
            |model| Point {
                endpoint: endpoint.clone(),
                model: model.to_owned(),
                calls: 0,
                errors: 0,
                retries: 0,
                fallbacks: 0,
                cost_usd: 0.0,
                saved_usd: 0.0,
                latency: LatencySketch::default(),
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(time_ms: u64, model: &str, user: &str) -> CallRecord {
        CallRecord {
            seq: 0,
            time_ms,
            endpoint: Arc::from("e"),
            operation: "chat",
            model: model.to_owned(),
            answered_by: None,
            route: String::new(),
            attempts: 2,
            passed_over: Vec::new(),
            status: "ok",
            upstream_status: None,
            latency_ms: 10.0,
            input_tokens: 0,
            output_tokens: 0,
            cost_usd: 0.5,
            saved_usd: 0.0,
            cache: None,
            user: Some(user.to_owned()),
            prompt: None,
            answer: None,
        }
    }

    #[test]
    fn buckets_stay_in_time_order_and_old_ones_fall_off() {
        let mut series = Series::default();
        let second = 1_000;
        series.add(&record(100 * second, "m", "u"));
        series.add(&record(80 * second, "m", "u")); // ended late, started earlier
        series.add(&record(105 * second, "m", "u"));
        let starts: Vec<u64> = series.view().iter().map(|b| b.t).collect();
        assert_eq!(starts, [80 * second, 100 * second]);
        assert_eq!(series.view()[1].points[0].calls, 2);
        assert_eq!(series.view()[1].points[0].retries, 2);
        for i in 0..200 {
            series.add(&record((200 + i * BUCKET_SECONDS) * second, "m", "u"));
        }
        let view = series.view();
        assert_eq!(view.len(), BUCKETS_KEPT);
        assert!(view.windows(2).all(|w| w[0].t < w[1].t));
        // A call older than every bucket kept is left out.
        series.add(&record(0, "m", "u"));
        assert_eq!(series.view().len(), BUCKETS_KEPT);
        assert!(series.view()[0].t > 0);
    }

    #[test]
    fn a_bucket_caps_its_series_and_users() {
        let mut series = Series::default();
        for i in 0..SERIES_PER_BUCKET + 10 {
            series.add(&record(5_000, &format!("model-{i}"), &format!("user-{i}")));
        }
        let view = series.view();
        let bucket = &view[0];
        assert_eq!(bucket.points.len(), SERIES_PER_BUCKET + 1);
        assert_eq!(
            bucket.points.last().map(|p| (p.model, p.calls)),
            Some(("other", 10))
        );
        assert_eq!(bucket.users.len(), USERS_PER_BUCKET + 1);
        assert_eq!(bucket.users.last().map(|u| u.user), Some("other"));
    }
}
