//! A rate limit's budget in Redis: the same generic cell rate algorithm as
//! the local limiter, run as one server-side script per call, so replicas
//! never read then write (no race between them) and all use Redis' clock.
//!
//! Keys `<prefix>limit:{<name>}:requests` and `:tokens` share a hash tag,
//! so both live on one cluster slot and one script can touch both.
//!
//! **Leases.** A busy replica of a large request limit takes its slots from
//! Redis a few at a time: when the budget has several slots free now, the
//! script grants up to the lease size at once and the replica admits the
//! next calls from them without a round trip. A lease is at most 0.5 % of
//! the limit's burst (limits under 400 requests never lease), starts at one
//! slot, doubles while each lease is used up within [`LEASE_LIFETIME`],
//! halves when one is used up only after it, and falls back to one slot
//! when one expires unused. The slots are taken atomically, so the limit is
//! never exceeded; what leases cost is at most one unused lease per
//! replica, slots no one serves (three replicas: at most 1.5 % of the
//! burst). Limits of tokens per minute reserve per call and never lease.

use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use redis::Script;

use super::RedisStore;
use super::health::Piece;

const MINUTE_US: u64 = 60_000_000;

/// Admits a call: refuses it while the minute's tokens are spent, else
/// reserves its request slot (and its expected tokens). Times are
/// microseconds of Redis' own clock.
///
/// ARGV: interval, tolerance, max wait (µs), tokens to reserve, µs per token,
/// lease (the most request slots to grant when they are free now).
/// Returns {admitted (1/0), wait µs, refused by (1 requests, 2 tokens),
/// slots granted}.
const ACQUIRE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local minute = 60000000
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local max_wait = tonumber(ARGV[3])
local reserve = tonumber(ARGV[4])
local per_token = tonumber(ARGV[5])
local lease = tonumber(ARGV[6])
local granted = 1
local ttat = 0
if per_token > 0 then
  ttat = tonumber(redis.call('GET', KEYS[2]) or '0')
  if ttat >= now + minute then
    return {0, ttat - minute - now + 1, 2, 0}
  end
end
local wait = 0
if interval > 0 then
  local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
  local base = math.max(tat, now)
  local nxt = base + interval
  wait = math.max(nxt - tolerance - now, 0)
  if wait > max_wait then
    return {0, wait, 1, 0}
  end
  if wait == 0 and lease > 1 then
    local free = math.floor((now + tolerance - base) / interval)
    granted = math.max(1, math.min(lease, free))
    nxt = base + granted * interval
  end
  redis.call('SET', KEYS[1], string.format('%d', nxt), 'PX', math.floor((nxt - now) / 1000) + 1000)
end
if per_token > 0 and reserve > 0 then
  local nxt = math.max(ttat, now) + reserve * per_token
  redis.call('SET', KEYS[2], string.format('%d', nxt), 'PX', math.floor((nxt - now) / 1000) + 1000)
end
return {1, wait, 0, granted}
";

/// Charges tokens used (or refunds a reservation when negative).
///
/// ARGV: tokens (may be negative), µs per token.
const CHARGE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local cost = tonumber(ARGV[1]) * tonumber(ARGV[2])
local ttat = tonumber(redis.call('GET', KEYS[1]) or '0')
local nxt
if cost >= 0 then
  nxt = math.max(ttat, now) + cost
else
  nxt = math.max(ttat + cost, now)
end
redis.call('SET', KEYS[1], string.format('%d', nxt), 'PX', math.floor((nxt - now) / 1000) + 1000)
return 1
";

static ACQUIRE_SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(ACQUIRE));
static CHARGE_SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(CHARGE));

/// What the shared budget said.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SharedVerdict {
    /// Go, after waiting this long (the slot reserved is this call's).
    Admitted(Duration),
    /// Over the budget: it would take this long; `tokens` says which budget.
    Refused { wait: Duration, tokens: bool },
    /// Redis did not answer: use the local budget.
    Unavailable,
}

/// How long a lease's slots may wait for calls before they are dropped.
const LEASE_LIFETIME: Duration = Duration::from_secs(1);

/// A limit's burst per slot a lease may hold (0.5 %).
const BURST_PER_LEASED_SLOT: u32 = 200;

/// The slots this replica holds of the shared budget.
#[derive(Debug)]
struct Lease {
    /// Slots granted and not yet used.
    left: u32,
    /// When they are dropped.
    expires: Instant,
    /// The slots the next lease asks for.
    next: u32,
}

/// One limit's shared budget.
pub(crate) struct SharedLimit {
    redis: RedisStore,
    requests_key: String,
    tokens_key: String,
    interval_us: u64,
    tolerance_us: u64,
    us_per_token: f64,
    /// The most slots one lease holds (1: no leases).
    max_lease: u32,
    lease: Mutex<Lease>,
}

impl SharedLimit {
    /// The budget named `name`: `rpm` requests (a burst of `burst`) and/or
    /// `tpm` tokens per minute.
    pub(crate) fn new(
        redis: RedisStore,
        name: &str,
        rpm: Option<u32>,
        burst: Option<u32>,
        tpm: Option<u64>,
    ) -> Self {
        let interval_us = rpm.map_or(0, |rpm| (MINUTE_US / u64::from(rpm.max(1))).max(1));
        let burst = burst.or(rpm).unwrap_or(1).max(1);
        let max_lease = if rpm.is_some() && tpm.is_none() {
            (burst / BURST_PER_LEASED_SLOT).max(1)
        } else {
            1
        };
        Self {
            max_lease,
            lease: Mutex::new(Lease {
                left: 0,
                expires: Instant::now(),
                next: 1,
            }),
            requests_key: redis.key(&format!("limit:{{{name}}}:requests")),
            tokens_key: redis.key(&format!("limit:{{{name}}}:tokens")),
            redis,
            interval_us,
            tolerance_us: interval_us.saturating_mul(u64::from(burst)),
            us_per_token: tpm.map_or(0.0, |tpm| MINUTE_US as f64 / tpm.max(1) as f64),
        }
    }

    /// A slot from this replica's lease, if it holds one; else the size of
    /// the lease to ask for: twice the last one when that one was used up
    /// within its lifetime, half when only after it, one slot when it
    /// expired unused.
    fn leased(&self) -> Result<(), u32> {
        if self.max_lease == 1 {
            return Err(1);
        }
        let mut lease = self
            .lease
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let now = Instant::now();
        if lease.left > 0 && now < lease.expires {
            lease.left -= 1;
            return Ok(());
        }
        if lease.left > 0 {
            lease.left = 0;
            lease.next = 1;
        } else if now < lease.expires {
            lease.next = lease.next.saturating_mul(2).min(self.max_lease);
        } else {
            lease.next = (lease.next / 2).max(1);
        }
        Err(lease.next)
    }

    /// Keeps the slots of a lease beyond the one its caller uses.
    fn keep(&self, granted: u32) {
        let mut lease = self
            .lease
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        lease.left = lease.left.saturating_add(granted.saturating_sub(1));
        lease.expires = Instant::now() + LEASE_LIFETIME;
    }

    /// Asks for a slot that starts within `max_wait`, reserving `reserve`
    /// tokens: from this replica's lease when it holds one.
    pub(crate) async fn acquire(&self, max_wait: Duration, reserve: u64) -> SharedVerdict {
        let ask = match self.leased() {
            Ok(()) => return SharedVerdict::Admitted(Duration::ZERO),
            Err(ask) => ask,
        };
        let max_wait_us = u64::try_from(max_wait.as_micros()).unwrap_or(u64::MAX / 2);
        let answer: Option<(u8, u64, u8, u32)> = self
            .redis
            .run(Piece::RateLimit, |mut connection| async move {
                ACQUIRE_SCRIPT
                    .key(&self.requests_key)
                    .key(&self.tokens_key)
                    .arg(self.interval_us)
                    .arg(self.tolerance_us)
                    .arg(max_wait_us.min(1 << 52))
                    .arg(reserve)
                    .arg(self.us_per_token)
                    .arg(ask)
                    .invoke_async(&mut connection)
                    .await
            })
            .await;
        match answer {
            Some((1, wait, _, granted)) => {
                if self.max_lease > 1 {
                    self.keep(granted);
                }
                SharedVerdict::Admitted(Duration::from_micros(wait))
            }
            Some((_, wait, by, _)) => SharedVerdict::Refused {
                wait: Duration::from_micros(wait),
                tokens: by == 2,
            },
            None => SharedVerdict::Unavailable,
        }
    }

    /// Charges `tokens` (refunds when negative); `false` when Redis did not answer.
    pub(crate) async fn charge(&self, tokens: i64) -> bool {
        if tokens == 0 || self.us_per_token == 0.0 {
            return true;
        }
        let done: Option<u8> = self
            .redis
            .run(Piece::RateLimit, |mut connection| async move {
                CHARGE_SCRIPT
                    .key(&self.tokens_key)
                    .arg(tokens)
                    .arg(self.us_per_token)
                    .invoke_async(&mut connection)
                    .await
            })
            .await;
        done.is_some()
    }
}
