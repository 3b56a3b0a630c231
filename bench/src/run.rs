//! The run: start the upstream, measure every selected path with the same
//! load generators, then write the report.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use fastagentic_tests::peers::{LiteLlmPeer, PortkeyPeer};
use serde_json::json;

use crate::cli::{Options, seed_config};
use crate::load::{self, LoadResult, Target};
use crate::nginx::Nginx;
use crate::procfs;
use crate::report::{
    Report, RequestMeasure, RequestRow, Round, Startup, StreamMeasure, StreamRow, label,
};
use crate::server::{LITELLM_KEY_ENV, ServerProcess, time_to_first_request};
use crate::streams::{self, StreamResult};
use crate::upstream::{CHUNK_INTERVAL, STREAM_CHUNKS};
use crate::workload::{SeedConfig, chat_body, ticket_body};

/// The paths that need the Portkey gateway.
const PORTKEY_PATHS: [&str; 4] = [
    "portkey",
    "fastagentic-portkey",
    "portkey-gateway-fallback",
    "portkey-gateway-loadbalance",
];

/// The largest stream count a peer's ladder tries.
const PEER_LADDER_MAX: usize = 8000;
/// The smallest stream count a peer's ladder goes down to.
const PEER_LADDER_MIN: usize = 100;

/// Everything a run needs along the way.
struct Bench {
    options: Options,
    logs: std::path::PathBuf,
    upstream: ServerProcess,
    upstream_v1: String,
    rustc_seen: usize,
    notes: Vec<String>,
    /// The reference proxy, started when a path first needs it (or why it
    /// could not start).
    nginx: Option<Result<Nginx, String>>,
}

/// Runs the benchmark and returns what it measured.
pub async fn run(options: Options) -> Result<Report, String> {
    let started = Instant::now();
    let fds = raise_fd_limit(&options);
    if let Some(limit) = options.wait_quiet {
        wait_for_quiet(limit).await;
    }
    let machine = procfs::machine().describe();
    let (date, time) = procfs::utc_now();
    let load_before = procfs::load_average();
    let cpu_before = procfs::cpu_counters();
    let rustc_before = procfs::rustc_processes();
    eprintln!(
        "bench: {date} {time}, {machine}; load {load_before:.2}, rustc processes {rustc_before}"
    );
    if load_before >= 0.6 || rustc_before > 0 {
        eprintln!(
            "bench: the machine is busy (load {load_before:.2}, {rustc_before} rustc); figures will be noisy"
        );
    }

    let logs = options.out.join("logs");
    let upstream = ServerProcess::spawn("upstream", &["serve-upstream".to_owned()], &logs).await?;
    let upstream_v1 = format!("{}/v1", upstream.url());
    let mut bench = Bench {
        options: options.clone(),
        logs,
        upstream,
        upstream_v1,
        rustc_seen: rustc_before,
        notes: Vec::new(),
        nginx: None,
    };
    bench.notes.push(format!("open-file limit: {fds}"));
    let direct = bench.direct_target(false);
    verify(&direct, "billing")
        .await
        .map_err(|e| format!("the upstream does not answer: {e}"))?;

    let mut rounds = Vec::with_capacity(options.runs);
    for round in 0..options.runs {
        if options.runs > 1 {
            eprintln!("bench: run {} of {}", round + 1, options.runs);
        }
        // The peers (minutes each, and 20x to 300x off the other paths)
        // are measured in the first run only.
        rounds.push(bench.round(round == 0).await);
    }

    // The semantic cache's pieces, in this process, once.
    let mut semantic = Vec::new();
    if options.wants("semantic-cache") {
        match crate::semantic::measure(options.quick).await {
            Ok(rows) => semantic = rows,
            Err(e) => bench.notes.push(format!("semantic cache: failed: {e}")),
        }
    }

    // The Redis store against the in-memory one, once (3 s a cell).
    let mut shared_store = None;
    if options.wants("redis-store") {
        let cell = if options.quick {
            Duration::from_millis(500)
        } else {
            Duration::from_secs(3)
        };
        match crate::shared_store::measure(cell).await {
            Ok(rows) => shared_store = Some(rows),
            Err(e) => bench.notes.push(format!("Redis store: failed: {e}")),
        }
    }

    let Bench {
        upstream,
        rustc_seen,
        notes,
        nginx,
        ..
    } = bench;
    drop(nginx);
    upstream.stop().await;
    Ok(Report::from_rounds(
        rounds,
        Report {
            date,
            time,
            machine,
            load_before,
            rustc_before,
            load_after: procfs::load_average(),
            rustc_seen,
            steal_pct: {
                let (all, steal) = procfs::cpu_counters();
                let (all, steal) = (all - cpu_before.0, steal - cpu_before.1);
                if all == 0 {
                    0.0
                } else {
                    steal as f64 * 100.0 / all as f64
                }
            },
            quick: options.quick,
            settings: json!({
                "duration_s": options.duration.as_secs_f64(),
                "warmup_s": options.warmup.as_secs_f64(),
                "concurrency": [1, 32],
                "stream_ns": options.stream_ns,
                "peer_stream_n": options.peer_stream_n,
                "stream_window_s": options.stream_window.as_secs_f64(),
                "stream_deadline_s": options.stream_deadline.as_secs_f64(),
                "peer_budget_s": options.peer_budget.as_secs_f64(),
                "chunk_interval_ms": CHUNK_INTERVAL.as_millis() as u64,
                "chunks_per_stream": STREAM_CHUNKS,
                "load_generator": "hyper 1 HTTP/1.1 client, tokio current-thread runtime (one core), closed loop",
                "servers": "each in its own process, tokio multi-thread runtime (one worker per core)",
                "startup_runs": options.startup_runs,
                "runs": options.runs,
            }),
            requests: Vec::new(),
            streams: Vec::new(),
            startup: Startup::default(),
            semantic,
            shared_store,
            notes,
            took_s: started.elapsed().as_secs_f64(),
            rounds: Vec::new(),
        },
    ))
}

impl Bench {
    /// One run of every selected path; the peers' paths only with `peers`.
    async fn round(&mut self, peers: bool) -> Round {
        let options = self.options.clone();
        let mut requests = Vec::new();
        let mut streams = Vec::new();
        let mut startup = Startup::default();

        // Request/response, our own paths (the seed's Portkey configs in-process too).
        for path in crate::cli::OWN_PATHS {
            if options.wants(path) {
                requests.push(RequestRow {
                    path,
                    outcome: self.request_path(path).await,
                });
            }
        }
        if options.wants("fastagentic") {
            startup.fastagentic_ms = self.startup("fastagentic").await;
        }
        if options.wants("baseline") {
            startup.baseline_ms = self.startup("baseline").await;
        }
        // Streams, our own paths and the reference proxy.
        for &n in &options.stream_ns {
            for path in [
                "direct",
                "nginx",
                "baseline",
                "fastagentic",
                "openai-compat",
            ] {
                if options.wants(path) {
                    streams.push(StreamRow {
                        path,
                        n,
                        outcome: self.stream_path(path, n).await,
                    });
                }
            }
        }

        if peers {
            // The Portkey gateway, alone and behind FastAgentic (its own
            // routing headers, and the seed's configs).
            if PORTKEY_PATHS.iter().any(|p| options.wants(p)) {
                self.portkey(&mut requests, &mut streams).await;
            }
            // The LiteLLM proxy, alone and behind FastAgentic.
            if options.wants("litellm") || options.wants("fastagentic-litellm") {
                self.litellm(&mut requests, &mut streams).await;
            }
        }

        // Report order: the order of `cli::PATHS`, streams by N within a path.
        let order = |path: &str| crate::cli::PATHS.iter().position(|p| *p == path);
        requests.sort_by_key(|r| order(r.path));
        streams.sort_by_key(|r| (order(r.path), r.n));
        Round {
            requests,
            streams,
            startup,
        }
    }

    fn direct_target(&self, stream: bool) -> Target {
        Target::new(
            self.upstream.addr(),
            "/v1/chat/completions",
            chat_body(stream),
        )
    }

    /// nginx in front of the upstream (started on first use): its address
    /// and its supervisor's pid.
    async fn nginx(&mut self) -> Result<(SocketAddr, u32), String> {
        if self.nginx.is_none() {
            eprintln!("bench: starting nginx");
            let dir = self.options.out.join("nginx");
            self.nginx = Some(Nginx::start(self.upstream.addr(), &dir).await);
        }
        match &self.nginx {
            Some(Ok(nginx)) => Ok((nginx.addr(), nginx.supervisor())),
            Some(Err(why)) => Err(why.clone()),
            None => Err("nginx was not started".to_owned()),
        }
    }

    fn sample_rustc(&mut self) {
        self.rustc_seen = self.rustc_seen.max(procfs::rustc_processes());
    }

    /// c=1 then c=32; and the CPU time `cpu` (the server under test) and
    /// this process (the load generator) spent per request at c=32, µs.
    async fn measure(&mut self, target: &Target, cpu: Cpu) -> Measured {
        let (warmup, duration) = (self.options.warmup, self.options.duration);
        let me = Cpu::Pid(std::process::id());
        let c1 = load::closed_loop(target, 1, warmup, duration).await;
        let (server_before, client_before) = (cpu.seconds(), me.seconds());
        let c32 = load::closed_loop(target, 32, warmup, duration).await;
        let (server_after, client_after) = (cpu.seconds(), me.seconds());
        self.sample_rustc();
        // The run spends CPU on the warm-up too: per request over all of it.
        let total = c32.rps * (warmup + duration).as_secs_f64();
        let per_request = |before: Option<f64>, after: Option<f64>| {
            Some((after? - before?) * 1e6 / total).filter(|x| x.is_finite())
        };
        Measured {
            cpu_us: per_request(server_before, server_after),
            client_cpu_us: per_request(client_before, client_after),
            c1,
            c32,
        }
    }

    fn fastagentic_args(&self) -> Vec<String> {
        vec![
            "serve-fastagentic".to_owned(),
            "--upstream".to_owned(),
            self.upstream_v1.clone(),
        ]
    }

    fn baseline_args(&self) -> Vec<String> {
        vec![
            "serve-baseline".to_owned(),
            "--upstream".to_owned(),
            self.upstream_v1.clone(),
        ]
    }

    /// The server process and the request for a path of ours.
    async fn server_for(
        &self,
        path: &str,
        stream: bool,
    ) -> Result<(ServerProcess, Target), String> {
        let (args, request_path, body) = match path {
            "baseline" => (
                self.baseline_args(),
                if stream { "/stream" } else { "/triage" },
                ticket_body(),
            ),
            "fastagentic" => (
                self.fastagentic_args(),
                if stream { "/stream" } else { "/triage" },
                ticket_body(),
            ),
            "openai-compat" => (
                self.fastagentic_args(),
                "/v1/chat/completions",
                chat_body(stream),
            ),
            other => match seed_config(other) {
                Some(config) if other.starts_with("portkey-inprocess-") => (
                    self.seed_config_args(config, None),
                    if stream { "/stream" } else { "/triage" },
                    ticket_body(),
                ),
                _ => return Err(format!("no server for {other}")),
            },
        };
        let server = ServerProcess::spawn(path, &args, &self.logs).await?;
        let target = Target::new(server.addr(), request_path, body);
        Ok((server, target))
    }

    /// `serve-fastagentic` with one of the seed's Portkey configs, run
    /// in-process, or sent to the Portkey gateway at `portkey_v1`.
    fn seed_config_args(&self, config: SeedConfig, portkey_v1: Option<&str>) -> Vec<String> {
        let mut args = self.fastagentic_args();
        args.extend(["--portkey-config".to_owned(), config.name().to_owned()]);
        if let Some(portkey_v1) = portkey_v1 {
            args.extend(["--portkey".to_owned(), portkey_v1.to_owned()]);
        }
        args
    }

    /// POSTs the upstream has served so far.
    async fn upstream_requests(&self) -> Option<u64> {
        load::get_text(self.upstream.addr(), "/requests")
            .await
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    /// Measures a started server of ours (stopped after): `target` must
    /// answer `billing` first. With `peer`, the peer's peak RSS too.
    async fn measure_server(
        &mut self,
        server: ServerProcess,
        target: &Target,
        peer: Option<u32>,
    ) -> Result<RequestMeasure, String> {
        let outcome = async {
            verify(target, "billing").await?;
            if let Some(supervisor) = peer {
                procfs::reset_peer_peak_rss(supervisor);
            }
            let calls_before = self.upstream_requests().await;
            let m = self.measure(target, Cpu::Pid(server.pid())).await;
            let calls_after = self.upstream_requests().await;
            let peer_rss =
                peer.and_then(|supervisor| procfs::peer_peak_rss_kib(supervisor).map(kib_to_mb));
            let mut measure =
                m.into_request(server.peak_rss_mib().map(mib_to_mb), "server", peer_rss);
            measure.upstream_calls = calls_before
                .zip(calls_after)
                .map(|(before, after)| after.saturating_sub(before));
            Ok(measure)
        }
        .await;
        server.stop().await;
        outcome.map_err(|e: String| format!("failed: {e}"))
    }

    async fn request_path(&mut self, path: &'static str) -> Result<RequestMeasure, String> {
        eprintln!("bench: request/response: {}", label(path));
        if path == "direct" {
            let target = self.direct_target(false);
            self.upstream.reset_peak_rss();
            let m = self.measure(&target, Cpu::Pid(self.upstream.pid())).await;
            return Ok(m.into_request(
                self.upstream.peak_rss_mib().map(mib_to_mb),
                "upstream",
                None,
            ));
        }
        if path == "nginx" {
            let (addr, supervisor) = self.nginx().await.map_err(|e| format!("failed: {e}"))?;
            let target = Target::new(addr, "/v1/chat/completions", chat_body(false));
            verify(&target, "billing")
                .await
                .map_err(|e| format!("failed: through nginx: {e}"))?;
            procfs::reset_peer_peak_rss(supervisor);
            let m = self.measure(&target, Cpu::Peer(supervisor)).await;
            return Ok(m.into_request(
                procfs::peer_peak_rss_kib(supervisor).map(kib_to_mb),
                "nginx",
                None,
            ));
        }
        let (server, target) = self.server_for(path, false).await?;
        self.measure_server(server, &target, None).await
    }

    async fn startup(&mut self, path: &str) -> Vec<f64> {
        eprintln!("bench: start-up: {}", label(path));
        let args = match path {
            "fastagentic" => self.fastagentic_args(),
            _ => self.baseline_args(),
        };
        let mut times = Vec::new();
        for run in 0..self.options.startup_runs {
            let name = format!("{path}-startup-{run}");
            let probe = |addr: SocketAddr| async move {
                let target = Target::new(addr, "/triage", ticket_body());
                matches!(load::send_once(&target).await, Ok((200, _)))
            };
            match time_to_first_request(&name, &args, &self.logs, probe).await {
                Ok((server, took)) => {
                    times.push(took.as_secs_f64() * 1000.0);
                    server.stop().await;
                }
                Err(e) => self.notes.push(format!("start-up of {path}: {e}")),
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        times
    }

    /// Runs `n` streams; also returns the CPU seconds `cpu` (the server
    /// under test) and this process spent meanwhile.
    async fn run_streams(
        &mut self,
        target: &Target,
        n: usize,
        deadline: Duration,
        cpu: Cpu,
    ) -> (StreamResult, Option<f64>, Option<f64>) {
        let me = Cpu::Pid(std::process::id());
        let (server_before, client_before) = (cpu.seconds(), me.seconds());
        let result = streams::open_streams(
            target,
            n,
            self.options.stream_window,
            deadline,
            STREAM_CHUNKS,
        )
        .await;
        let (server_after, client_after) = (cpu.seconds(), me.seconds());
        self.sample_rustc();
        let delta = |before: Option<f64>, after: Option<f64>| Some(after? - before?);
        (
            result,
            delta(server_before, server_after),
            delta(client_before, client_after),
        )
    }

    async fn stream_path(&mut self, path: &'static str, n: usize) -> Result<StreamMeasure, String> {
        eprintln!("bench: streams: {}, N={n}", label(path));
        // Let sockets of the previous run close and the CPU settle.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let deadline = self.options.stream_deadline;
        if path == "direct" {
            let target = self.direct_target(true);
            self.upstream.reset_peak_rss();
            let (result, cpu_s, client_cpu_s) = self
                .run_streams(&target, n, deadline, Cpu::Pid(self.upstream.pid()))
                .await;
            return Ok(StreamMeasure {
                result,
                rss_mb: self.upstream.peak_rss_mib().map(mib_to_mb),
                rss_of: "upstream".into(),
                cpu_s,
                client_cpu_s,
            });
        }
        if path == "nginx" {
            let (addr, supervisor) = self.nginx().await.map_err(|e| format!("failed: {e}"))?;
            let target = Target::new(addr, "/v1/chat/completions", chat_body(true));
            procfs::reset_peer_peak_rss(supervisor);
            let (result, cpu_s, client_cpu_s) = self
                .run_streams(&target, n, deadline, Cpu::Peer(supervisor))
                .await;
            return Ok(StreamMeasure {
                result,
                rss_mb: procfs::peer_peak_rss_kib(supervisor).map(kib_to_mb),
                rss_of: "nginx".into(),
                cpu_s,
                client_cpu_s,
            });
        }
        let (server, target) = self.server_for(path, true).await?;
        self.server_streams(server, &target, n, deadline, path)
            .await
    }

    /// `n` streams through a server under test, which is stopped after.
    async fn server_streams(
        &mut self,
        mut server: ServerProcess,
        target: &Target,
        n: usize,
        deadline: Duration,
        log: &str,
    ) -> Result<StreamMeasure, String> {
        let (result, cpu_s, client_cpu_s) = self
            .run_streams(target, n, deadline, Cpu::Pid(server.pid()))
            .await;
        let rss_mb = server.peak_rss_mib().map(mib_to_mb);
        let alive = server.is_running();
        server.stop().await;
        if !alive {
            return Err(format!(
                "failed: the server exited during the run; see {}/{log}.log",
                self.logs.display()
            ));
        }
        Ok(StreamMeasure {
            result,
            rss_mb,
            rss_of: "server".into(),
            cpu_s,
            client_cpu_s,
        })
    }

    /// A peer's streams at `start` and then up (doubling while every stream
    /// completes within the budget) or down (halving until one run does).
    async fn peer_ladder(
        &mut self,
        path: &'static str,
        target: &Target,
        supervisor: u32,
        streams: &mut Vec<StreamRow>,
    ) {
        let start = self.options.peer_stream_n;
        let ladder = !self.options.quick;
        let budget = self.options.peer_budget;
        let mut n = start;
        let mut largest_complete = None;
        loop {
            eprintln!("bench: streams: {}, N={n}", label(path));
            tokio::time::sleep(Duration::from_secs(3)).await;
            procfs::reset_peer_peak_rss(supervisor);
            let (result, cpu_s, client_cpu_s) = self
                .run_streams(target, n, budget, Cpu::Peer(supervisor))
                .await;
            let complete = result.ok == result.n;
            streams.push(StreamRow {
                path,
                n,
                outcome: Ok(StreamMeasure {
                    result,
                    rss_mb: procfs::peer_peak_rss_kib(supervisor).map(kib_to_mb),
                    rss_of: "peer".into(),
                    cpu_s,
                    client_cpu_s,
                }),
            });
            if complete {
                largest_complete = Some(n);
            }
            let next = match (ladder, complete, largest_complete) {
                (false, _, _) => None,
                (true, true, _) if n * 2 <= PEER_LADDER_MAX => Some(n * 2),
                (true, false, None) if n / 2 >= PEER_LADDER_MIN => Some(n / 2),
                _ => None,
            };
            match next {
                Some(next) => n = next,
                None => break,
            }
        }
        self.notes.push(match largest_complete {
            Some(n) => format!(
                "{}: the largest N tried whose streams all completed within the {} s budget: {n}{}",
                label(path),
                budget.as_secs(),
                if ladder {
                    ""
                } else {
                    " (no ladder in --quick)"
                }
            ),
            None => format!(
                "{}: no N tried had all its streams complete within the {} s budget",
                label(path),
                budget.as_secs()
            ),
        });
        // Let the peer finish what the client gave up on.
        tokio::time::sleep(Duration::from_secs(3)).await;
    }

    /// The paths of one peer: alone (requests, then the stream ladder) and
    /// behind FastAgentic (requests, then streams at the first rung).
    async fn peer_paths(
        &mut self,
        peer: &Peer<'_>,
        requests: &mut Vec<RequestRow>,
        streams: &mut Vec<StreamRow>,
    ) {
        let supervisor = peer.supervisor;
        if self.options.wants(peer.alone) {
            eprintln!("bench: request/response: {}", label(peer.alone));
            let target = (peer.target)(false);
            let outcome = match verify(&target, "billing").await {
                Ok(()) => {
                    procfs::reset_peer_peak_rss(supervisor);
                    let m = self.measure(&target, Cpu::Peer(supervisor)).await;
                    Ok(m.into_request(
                        procfs::peer_peak_rss_kib(supervisor).map(kib_to_mb),
                        "peer",
                        None,
                    ))
                }
                Err(e) => Err(format!("failed: {e}")),
            };
            requests.push(RequestRow {
                path: peer.alone,
                outcome,
            });
        }
        if self.options.wants(peer.behind) {
            eprintln!("bench: request/response: {}", label(peer.behind));
            let outcome = match self.spawn_behind(peer, peer.behind).await {
                Ok(server) => {
                    let target = Target::new(server.addr(), "/triage", ticket_body());
                    let outcome = match verify(&target, "billing").await {
                        Ok(()) => {
                            procfs::reset_peer_peak_rss(supervisor);
                            let m = self.measure(&target, Cpu::Pid(server.pid())).await;
                            Ok(m.into_request(
                                server.peak_rss_mib().map(mib_to_mb),
                                "server",
                                procfs::peer_peak_rss_kib(supervisor).map(kib_to_mb),
                            ))
                        }
                        Err(e) => Err(format!("failed: {e}")),
                    };
                    server.stop().await;
                    outcome
                }
                Err(e) => Err(format!("failed: {e}")),
            };
            requests.push(RequestRow {
                path: peer.behind,
                outcome,
            });
        }
        if self.options.wants(peer.alone) {
            self.peer_ladder(peer.alone, &(peer.target)(true), supervisor, streams)
                .await;
        }
        if self.options.wants(peer.behind) {
            let n = self.options.peer_stream_n;
            eprintln!("bench: streams: {}, N={n}", label(peer.behind));
            tokio::time::sleep(Duration::from_secs(3)).await;
            let log = format!("{}-stream", peer.behind);
            let outcome = match self.spawn_behind(peer, &log).await {
                Ok(server) => {
                    let target = Target::new(server.addr(), "/stream", ticket_body());
                    let budget = self.options.peer_budget;
                    self.server_streams(server, &target, n, budget, &log).await
                }
                Err(e) => Err(format!("failed: {e}")),
            };
            streams.push(StreamRow {
                path: peer.behind,
                n,
                outcome,
            });
        }
    }

    async fn spawn_behind(&self, peer: &Peer<'_>, name: &str) -> Result<ServerProcess, String> {
        let mut args = self.fastagentic_args();
        args.extend(peer.fastagentic_flags.iter().cloned());
        ServerProcess::spawn_with_env(name, &args, &peer.fastagentic_env, &self.logs).await
    }

    /// Rows saying why a peer's paths were not measured.
    fn peer_missing(
        &self,
        paths: &[&'static str],
        why: &str,
        requests: &mut Vec<RequestRow>,
        streams: &mut Vec<StreamRow>,
    ) {
        for &path in paths.iter().filter(|p| self.options.wants(p)) {
            requests.push(RequestRow {
                path,
                outcome: Err(why.to_owned()),
            });
            if seed_config(path).is_some() {
                continue; // request/response only
            }
            streams.push(StreamRow {
                path,
                n: self.options.peer_stream_n,
                outcome: Err(why.to_owned()),
            });
        }
    }

    /// The started peer, or `None` with its paths reported as not measured.
    fn started<P, E: std::fmt::Display>(
        &self,
        started: Result<P, E>,
        peer: &str,
        paths: &[&'static str],
        requests: &mut Vec<RequestRow>,
        streams: &mut Vec<StreamRow>,
    ) -> Option<P> {
        started
            .map_err(|e| {
                let why = format!("not measured: {peer} did not start: {e}");
                self.peer_missing(paths, &why, requests, streams);
            })
            .ok()
    }

    async fn portkey(&mut self, requests: &mut Vec<RequestRow>, streams: &mut Vec<StreamRow>) {
        eprintln!("bench: starting the Portkey gateway");
        let paths = PORTKEY_PATHS;
        let started = PortkeyPeer::start().await;
        let Some(portkey) = self.started(started, "the Portkey gateway", &paths, requests, streams)
        else {
            return;
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], portkey.port()));
        let upstream_v1 = self.upstream_v1.clone();
        let peer = Peer {
            alone: paths[0],
            behind: paths[1],
            supervisor: portkey.process().pid(),
            target: Box::new(move |stream| {
                Target::new(addr, "/v1/chat/completions", chat_body(stream))
                    .header("x-portkey-provider", "openai")
                    .header("x-portkey-custom-host", &upstream_v1)
                    .header("authorization", "Bearer sk-test")
            }),
            fastagentic_flags: vec!["--portkey".to_owned(), portkey.v1_url().to_owned()],
            fastagentic_env: Vec::new(),
        };
        self.peer_paths(&peer, requests, streams).await;
        // The seed's configs, sent by `PortkeyGateway` to the gateway.
        for &path in &paths[2..] {
            if !self.options.wants(path) {
                continue;
            }
            eprintln!("bench: request/response: {}", label(path));
            let outcome = match seed_config(path) {
                Some(config) => {
                    let args = self.seed_config_args(config, Some(portkey.v1_url()));
                    match ServerProcess::spawn(path, &args, &self.logs).await {
                        Ok(server) => {
                            let target = Target::new(server.addr(), "/triage", ticket_body());
                            self.measure_server(server, &target, Some(peer.supervisor))
                                .await
                        }
                        Err(e) => Err(format!("failed: {e}")),
                    }
                }
                None => Err(format!("failed: no seed config for {path}")),
            };
            requests.push(RequestRow { path, outcome });
        }
        drop(portkey);
    }

    async fn litellm(&mut self, requests: &mut Vec<RequestRow>, streams: &mut Vec<StreamRow>) {
        eprintln!("bench: starting the LiteLLM proxy (20-30 s)");
        let paths = ["litellm", "fastagentic-litellm"];
        let config = json!({
            "model_list": [{
                "model_name": crate::workload::MODEL,
                "litellm_params": {
                    "model": format!("openai/{}", crate::workload::MODEL),
                    "api_base": self.upstream_v1,
                    "api_key": "sk-test",
                },
            }],
        });
        let started = LiteLlmPeer::start(&config).await;
        let Some(litellm) = self.started(started, "the LiteLLM proxy", &paths, requests, streams)
        else {
            return;
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], litellm.port()));
        let auth = format!("Bearer {}", litellm.master_key());
        let peer = Peer {
            alone: paths[0],
            behind: paths[1],
            supervisor: litellm.process().pid(),
            target: Box::new(move |stream| {
                Target::new(addr, "/v1/chat/completions", chat_body(stream))
                    .header("authorization", &auth)
            }),
            fastagentic_flags: vec!["--litellm".to_owned(), litellm.base_url().to_owned()],
            fastagentic_env: vec![(LITELLM_KEY_ENV, litellm.master_key().to_owned())],
        };
        self.peer_paths(&peer, requests, streams).await;
        drop(litellm);
    }
}

/// A running peer, as the measurements need it.
struct Peer<'a> {
    /// The path of the peer alone.
    alone: &'static str,
    /// The path of FastAgentic in front of it.
    behind: &'static str,
    /// The pid of its supervisor (its processes are below).
    supervisor: u32,
    /// A request to it, streamed or not.
    target: Box<dyn Fn(bool) -> Target + 'a>,
    /// `serve-fastagentic` flags that select its gateway.
    fastagentic_flags: Vec<String>,
    /// Environment for that server.
    fastagentic_env: Vec<(&'static str, String)>,
}

/// Whose CPU time a measurement reads.
#[derive(Clone, Copy, Debug)]
enum Cpu {
    /// One process.
    Pid(u32),
    /// The peer processes below a supervisor.
    Peer(u32),
}

impl Cpu {
    fn seconds(self) -> Option<f64> {
        match self {
            Cpu::Pid(pid) => procfs::cpu_seconds(pid),
            Cpu::Peer(supervisor) => procfs::peer_cpu_seconds(supervisor),
        }
    }
}

/// A request/response path's two runs and the CPU they cost.
struct Measured {
    c1: LoadResult,
    c32: LoadResult,
    cpu_us: Option<f64>,
    client_cpu_us: Option<f64>,
}

impl Measured {
    fn into_request(
        self,
        rss_mb: Option<f64>,
        rss_of: &str,
        peer_rss_mb: Option<f64>,
    ) -> RequestMeasure {
        RequestMeasure {
            c1: self.c1,
            c32: self.c32,
            rss_mb,
            rss_of: rss_of.to_owned(),
            peer_rss_mb,
            cpu_us_per_request: self.cpu_us,
            client_cpu_us_per_request: self.client_cpu_us,
            upstream_calls: None,
        }
    }
}

/// One request, checked: 200 and a body containing `expect`.
async fn verify(target: &Target, expect: &str) -> Result<(), String> {
    match load::send_once(target).await {
        Ok((200, body)) if String::from_utf8_lossy(&body).contains(expect) => Ok(()),
        Ok((status, body)) => Err(format!(
            "POST {} answered {status}: {}",
            target.path,
            String::from_utf8_lossy(&body[..body.len().min(300)])
        )),
        Err(e) => Err(format!("POST {}: {e}", target.path)),
    }
}

fn mib_to_mb(mib: f64) -> f64 {
    mib * 1024.0 * 1024.0 / 1e6
}

fn kib_to_mb(kib: u64) -> f64 {
    kib as f64 * 1024.0 / 1e6
}

/// Raises the soft open-file limit to the hard one (children inherit it).
fn raise_fd_limit(options: &Options) -> u64 {
    let needed = options
        .stream_ns
        .iter()
        .copied()
        .max()
        .unwrap_or(0)
        .max(options.peer_stream_n) as u64
        * 2
        + 512;
    let limit = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(0);
    if limit < needed {
        eprintln!(
            "bench: the open-file limit is {limit}, below the {needed} the largest stream run needs; raise the hard limit (ulimit -Hn)"
        );
    }
    limit
}

/// Waits (at most `limit`) until the 1-minute load is below 0.6 and no
/// `rustc` runs.
async fn wait_for_quiet(limit: Duration) {
    let until = Instant::now() + limit;
    loop {
        let (load, rustc) = (procfs::load_average(), procfs::rustc_processes());
        if load < 0.6 && rustc == 0 {
            return;
        }
        if Instant::now() >= until {
            eprintln!(
                "bench: still busy after {limit:?} (load {load:.2}, {rustc} rustc); measuring anyway"
            );
            return;
        }
        eprintln!("bench: waiting for a quiet machine (load {load:.2}, {rustc} rustc)");
        tokio::time::sleep(Duration::from_secs(15)).await;
    }
}

/// Writes the report and prints where it went.
pub fn write_report(report: &Report, out: &Path) -> Result<(), String> {
    report
        .write(out)
        .map_err(|e| format!("writing the report to {}: {e}", out.display()))?;
    println!("{}", report.markdown());
    eprintln!(
        "bench: wrote {0}/report.md, {0}/report.json, {0}/chart.svg",
        out.display()
    );
    Ok(())
}
