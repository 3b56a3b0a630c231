//! A circuit's state in Redis, so a target opened by one replica's failures
//! is refused by all, and one probe at a time (across replicas) tests it
//! after the cool-down.
//!
//! Keys `<prefix>breaker:{<target>}:state` (a hash: when it opened, until
//! when a probe is out) and `:failures` (a sorted set of failure times in
//! the window) share a hash tag: one cluster slot, one script each.

use std::sync::LazyLock;
use std::time::Duration;

use redis::Script;

use super::RedisStore;
use super::health::Piece;

/// ARGV: cool-down µs. Returns {1 closed | 2 probe | 0 open, wait µs}.
const ADMIT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local opened = redis.call('HGET', KEYS[1], 'opened_at')
if not opened then
  return {1, 0}
end
opened = tonumber(opened)
local cooldown = tonumber(ARGV[1])
if now < opened + cooldown then
  return {0, opened + cooldown - now}
end
local probe = tonumber(redis.call('HGET', KEYS[1], 'probe_until') or '0')
if probe > now then
  return {0, probe - now}
end
redis.call('HSET', KEYS[1], 'probe_until', string.format('%d', now + cooldown))
return {2, 0}
";

/// ARGV: failed (0/1), probe (0/1), threshold, window µs, cool-down µs, a
/// unique id for this failure. Returns 1 when this call opened the circuit.
const RECORD: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local failed = ARGV[1] == '1'
local probe = ARGV[2] == '1'
local window = tonumber(ARGV[4])
local ttl = math.floor((window + tonumber(ARGV[5])) / 1000) * 4 + 60000
if probe then
  if failed then
    redis.call('HSET', KEYS[1], 'opened_at', string.format('%d', now))
    redis.call('HDEL', KEYS[1], 'probe_until')
    redis.call('PEXPIRE', KEYS[1], ttl)
    return 1
  end
  redis.call('DEL', KEYS[1], KEYS[2])
  return 0
end
if not failed or redis.call('HEXISTS', KEYS[1], 'opened_at') == 1 then
  return 0
end
redis.call('ZADD', KEYS[2], now, ARGV[6])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
redis.call('PEXPIRE', KEYS[2], ttl)
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then
  redis.call('HSET', KEYS[1], 'opened_at', string.format('%d', now))
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('DEL', KEYS[2])
  return 1
end
return 0
";

static ADMIT_SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(ADMIT));
static RECORD_SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(RECORD));

/// What the shared circuit said.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SharedAdmit {
    /// Closed: go.
    Closed,
    /// Half-open: go, as the one probe.
    Probe,
    /// Open (or a probe is out): refused for this long.
    Open(Duration),
    /// Redis did not answer: the local circuit decides.
    Unavailable,
}

/// One target's shared circuit.
pub(crate) struct SharedCircuit {
    redis: RedisStore,
    state_key: String,
    failures_key: String,
    threshold: u32,
    window_us: u64,
    cooldown_us: u64,
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX / 2)
}

impl SharedCircuit {
    pub(crate) fn new(
        redis: RedisStore,
        target: &str,
        threshold: u32,
        window: Duration,
        cooldown: Duration,
    ) -> Self {
        Self {
            state_key: redis.key(&format!("breaker:{{{target}}}:state")),
            failures_key: redis.key(&format!("breaker:{{{target}}}:failures")),
            redis,
            threshold,
            window_us: micros(window),
            cooldown_us: micros(cooldown),
        }
    }

    pub(crate) async fn admit(&self) -> SharedAdmit {
        let answer: Option<(u8, u64)> = self
            .redis
            .run(Piece::CircuitBreaker, |mut connection| async move {
                ADMIT_SCRIPT
                    .key(&self.state_key)
                    .key(&self.failures_key)
                    .arg(self.cooldown_us)
                    .invoke_async(&mut connection)
                    .await
            })
            .await;
        match answer {
            Some((1, _)) => SharedAdmit::Closed,
            Some((2, _)) => SharedAdmit::Probe,
            Some((_, wait)) => SharedAdmit::Open(Duration::from_micros(wait)),
            None => SharedAdmit::Unavailable,
        }
    }

    /// Records a call's outcome; only failures and probes need recording.
    pub(crate) async fn record(&self, probe: bool, failed: bool) {
        if !probe && !failed {
            return;
        }
        let id = uuid::Uuid::new_v4().simple().to_string();
        let _: Option<u8> = self
            .redis
            .run(Piece::CircuitBreaker, |mut connection| async move {
                RECORD_SCRIPT
                    .key(&self.state_key)
                    .key(&self.failures_key)
                    .arg(u8::from(failed))
                    .arg(u8::from(probe))
                    .arg(self.threshold)
                    .arg(self.window_us)
                    .arg(self.cooldown_us)
                    .arg(id)
                    .invoke_async(&mut connection)
                    .await
            })
            .await;
    }
}
