//! Command-line options of the harness.

use std::path::PathBuf;
use std::time::Duration;

use crate::workload::SeedConfig;

/// Every path the harness knows, in report order.
pub const PATHS: [&str; 16] = [
    "direct",
    "nginx",
    "baseline",
    "fastagentic",
    "openai-compat",
    "portkey-inprocess-fallback",
    "portkey-inprocess-loadbalance",
    "portkey-inprocess-cache-hit",
    "portkey",
    "fastagentic-portkey",
    "portkey-gateway-fallback",
    "portkey-gateway-loadbalance",
    "litellm",
    "fastagentic-litellm",
    "semantic-cache",
    "redis-store",
];

/// The paths that need no slow peer, in report order: what `--quick` runs
/// unless `--only` says otherwise (the Portkey gateway's or LiteLLM's
/// start-up alone takes longer than the whole quick run; nginx starts in
/// milliseconds).
pub const OWN_PATHS: [&str; 8] = [
    "direct",
    "nginx",
    "baseline",
    "fastagentic",
    "openai-compat",
    "portkey-inprocess-fallback",
    "portkey-inprocess-loadbalance",
    "portkey-inprocess-cache-hit",
];

/// The paths that run one of the seed's Portkey configs, and which.
pub const SEED_CONFIG_PATHS: [(&str, SeedConfig); 5] = [
    ("portkey-inprocess-fallback", SeedConfig::Fallback),
    ("portkey-inprocess-loadbalance", SeedConfig::LoadBalance),
    ("portkey-inprocess-cache-hit", SeedConfig::CachedFallback),
    ("portkey-gateway-fallback", SeedConfig::Fallback),
    ("portkey-gateway-loadbalance", SeedConfig::LoadBalance),
];

/// The seed config `path` runs, if any.
pub fn seed_config(path: &str) -> Option<SeedConfig> {
    SEED_CONFIG_PATHS
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, config)| *config)
}

pub const USAGE: &str = "\
fastagentic-bench: FastAgentic against a minimal axum handler, the Portkey
gateway and the LiteLLM proxy, measured side by side on loopback.

USAGE:
    cargo run --release -p fastagentic-bench -- [OPTIONS]

OPTIONS:
    --quick               seconds, not minutes: short windows, 100 streams,
                          no peers (unless --only names them)
    --only LIST           comma-separated paths: direct, nginx, baseline, fastagentic,
                          openai-compat, portkey-inprocess-fallback,
                          portkey-inprocess-loadbalance,
                          portkey-inprocess-cache-hit, portkey,
                          fastagentic-portkey, portkey-gateway-fallback,
                          portkey-gateway-loadbalance, litellm,
                          fastagentic-litellm, semantic-cache, redis-store
                          (default: all)
    --out DIR             where the report goes (default: <target>/bench)
    --runs N              repeat the measurements N times and report each
                          figure's median and spread (min-max); the Portkey
                          gateway and LiteLLM are measured in the first run
                          only (default 1)
    --duration SECS       measured window per request/response run (default
                          8; 5 with --runs above 1)
    --warmup SECS         warm-up before it (default 2; 1 with --runs above 1)
    --streams LIST        stream counts for direct and FastAgentic paths
                          (default 1000,8000)
    --peer-budget SECS    how long a peer's stream run may take (default 90)
    --wait-quiet SECS     wait up to SECS for a quiet machine (1-minute load
                          < 0.6, no rustc running) before measuring
    -h, --help            this text

    fastagentic-bench shared-store [SECS]
                          the latency the Redis store adds to the request path
                          (a cache miss and a limiter check) beside the
                          in-memory store, c=1 and c=32 (starts redis-server)

Writes <out>/report.md, <out>/report.json and <out>/chart.svg; server logs
go to <out>/logs/.
";

/// Parsed options.
#[derive(Clone, Debug)]
pub struct Options {
    /// `--quick`.
    pub quick: bool,
    /// Selected paths.
    pub paths: Vec<&'static str>,
    /// Output directory.
    pub out: PathBuf,
    /// Measured window per run.
    pub duration: Duration,
    /// Warm-up per run.
    pub warmup: Duration,
    /// Stream counts for the direct, baseline and FastAgentic paths.
    pub stream_ns: Vec<usize>,
    /// The stream count peers start their ladder at.
    pub peer_stream_n: usize,
    /// The window streams are opened over.
    pub stream_window: Duration,
    /// How long one of our stream runs may take.
    pub stream_deadline: Duration,
    /// How long one peer stream run may take.
    pub peer_budget: Duration,
    /// Start-up measurements per server.
    pub startup_runs: usize,
    /// Wait for a quiet machine, at most this long.
    pub wait_quiet: Option<Duration>,
    /// How many times the measurements are repeated.
    pub runs: usize,
}

impl Options {
    /// Parses the arguments (without the program name). `Ok(None)` means
    /// help was asked for.
    pub fn parse(args: &[String], default_out: PathBuf) -> Result<Option<Self>, String> {
        let quick = args.iter().any(|a| a == "--quick");
        let mut options = Options {
            quick,
            paths: if quick {
                let mut own = OWN_PATHS.to_vec();
                own.push("semantic-cache");
                own.push("redis-store");
                own
            } else {
                PATHS.to_vec()
            },
            out: default_out,
            duration: Duration::from_secs(if quick { 1 } else { 8 }),
            warmup: Duration::from_secs_f64(if quick { 0.3 } else { 2.0 }),
            stream_ns: if quick { vec![100] } else { vec![1000, 8000] },
            peer_stream_n: if quick { 100 } else { 1000 },
            stream_window: Duration::from_secs(if quick { 1 } else { 2 }),
            stream_deadline: Duration::from_secs(60),
            peer_budget: Duration::from_secs(90),
            startup_runs: if quick { 2 } else { 5 },
            wait_quiet: None,
            runs: 1,
        };
        let (mut duration_set, mut warmup_set) = (false, false);
        let mut i = 0;
        while i < args.len() {
            let arg = args[i].as_str();
            let mut value = || {
                i += 1;
                args.get(i)
                    .cloned()
                    .ok_or_else(|| format!("{arg} needs a value"))
            };
            match arg {
                "--quick" => {}
                "-h" | "--help" => return Ok(None),
                "--only" => {
                    let list = value()?;
                    let mut paths = Vec::new();
                    for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                        let known = PATHS
                            .iter()
                            .find(|p| **p == name)
                            .ok_or_else(|| format!("unknown path `{name}` in --only"))?;
                        paths.push(*known);
                    }
                    options.paths = paths;
                }
                "--out" => options.out = PathBuf::from(value()?),
                "--duration" => {
                    options.duration = secs(&value()?)?;
                    duration_set = true;
                }
                "--warmup" => {
                    options.warmup = secs(&value()?)?;
                    warmup_set = true;
                }
                "--runs" => {
                    options.runs = value()?
                        .parse::<usize>()
                        .ok()
                        .filter(|n| (1..=20).contains(n))
                        .ok_or("--runs takes a number from 1 to 20")?;
                }
                "--peer-budget" => options.peer_budget = secs(&value()?)?,
                "--wait-quiet" => options.wait_quiet = Some(secs(&value()?)?),
                "--streams" => {
                    options.stream_ns = value()?
                        .split(',')
                        .map(|n| {
                            n.trim()
                                .parse::<usize>()
                                .map_err(|e| format!("--streams: {e}"))
                        })
                        .collect::<Result<_, _>>()?;
                }
                other => return Err(format!("unknown option `{other}`; see --help")),
            }
            i += 1;
        }
        // Repeated full runs: shorter windows keep three of them within
        // about 30 minutes on a 2-core machine.
        if options.runs > 1 && !options.quick {
            if !duration_set {
                options.duration = Duration::from_secs(5);
            }
            if !warmup_set {
                options.warmup = Duration::from_secs(1);
            }
        }
        Ok(Some(options))
    }

    /// Whether `path` is selected.
    pub fn wants(&self, path: &str) -> bool {
        self.paths.contains(&path)
    }
}

fn secs(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0 && *s < 3600.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("`{text}` is not a number of seconds"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<Options>, String> {
        let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
        Options::parse(&args, PathBuf::from("out"))
    }

    #[test]
    fn quick_and_only() {
        let o = parse(&["--quick"]).unwrap().unwrap();
        assert!(o.quick && o.wants("fastagentic") && !o.wants("portkey"));
        assert!(o.wants("portkey-inprocess-cache-hit") && !o.wants("portkey-gateway-fallback"));
        assert!(o.wants("semantic-cache"));
        assert_eq!(
            seed_config("portkey-gateway-loadbalance"),
            Some(SeedConfig::LoadBalance)
        );
        assert_eq!(seed_config("fastagentic"), None);
        let o = parse(&["--only", "direct,portkey", "--streams", "10,20"])
            .unwrap()
            .unwrap();
        assert_eq!(o.paths, ["direct", "portkey"]);
        assert_eq!(o.stream_ns, [10, 20]);
        assert!(parse(&["--only", "nope"]).is_err());
        assert!(parse(&["--help"]).unwrap().is_none());
        assert!(parse(&["--duration"]).is_err());
        let o = parse(&["--runs", "3"]).unwrap().unwrap();
        assert_eq!(
            (o.runs, o.duration.as_secs(), o.warmup.as_secs()),
            (3, 5, 1)
        );
        let o = parse(&["--runs", "3", "--duration", "8"]).unwrap().unwrap();
        assert_eq!((o.runs, o.duration.as_secs()), (3, 8));
        assert!(parse(&["--runs", "0"]).is_err());
    }
}
