//! The FastAgentic benchmark harness (issues 6 and 8).
//!
//! `cargo run --release -p fastagentic-bench -- [--quick]` measures, in one
//! run and under the same Rust load generator, the upstream directly, a
//! minimal hand-written axum + reqwest handler (the in-run baseline), a
//! FastAgentic endpoint via the built-in gateway (hooks registered), the
//! OpenAI-compatible route, the seed's Portkey configs run in-process and
//! through the Portkey gateway, the Portkey gateway alone and behind
//! FastAgentic, and the LiteLLM proxy: requests/s and latency at c=1 and
//! c=32, peak RSS, start-up time, and thousands of concurrent streams. It
//! writes `report.md`, `report.json` and `chart.svg` under `target/bench/`.
//!
//! Each server under test runs in its own process: this binary re-executes
//! itself with a `serve-*` subcommand (see [`server`]).

mod baseline;
mod cli;
mod fastagentic_server;
mod load;
mod nginx;
mod procfs;
mod report;
mod run;
mod semantic;
mod server;
mod shared_store;
mod spread;
mod stats;
mod streams;
mod upstream;
mod workload;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(command) = args
        .first()
        .filter(|a| server::SUBCOMMANDS.contains(&a.as_str()))
    {
        return server::serve_main(command, &args[1..]);
    }
    match args.first().map(String::as_str) {
        Some("drive") => return drive(&args[1..]),
        Some("drive-streams") => return drive_streams(&args[1..]),
        Some("shared-store") => return shared_store(&args[1..]),
        _ => {}
    }
    let default_out = fastagentic_tests::peers::target_dir().join("bench");
    let options = match cli::Options::parse(&args, default_out) {
        Ok(Some(options)) => options,
        Ok(None) => {
            print!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("fastagentic-bench: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match load_runtime() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("fastagentic-bench: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let out = options.out.clone();
    let result = runtime.block_on(run::run(options));
    match result.and_then(|report| run::write_report(&report, &out).map(|()| report)) {
        Ok(report) => {
            let failed = report
                .requests
                .iter()
                .filter_map(|r| r.outcome.as_ref().err())
                .chain(
                    report
                        .streams
                        .iter()
                        .filter_map(|r| r.outcome.as_ref().err()),
                )
                .filter(|why| why.starts_with("failed"))
                .count();
            if failed > 0 {
                eprintln!("fastagentic-bench: {failed} measurement(s) failed; see the report");
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("fastagentic-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `drive ADDR PATH REQUESTS CONCURRENCY`: sends a fixed number of requests
/// to a server started by hand (e.g. under `valgrind --tool=callgrind`), for
/// profiling. `/v1/...` paths get a chat-completion body, others a ticket.
fn drive(args: &[String]) -> ExitCode {
    let concurrency = args.get(3).and_then(|c| c.parse::<usize>().ok());
    let Some((target, requests, concurrency)) = profiling_target(args, false)
        .zip(args.get(2).and_then(|n| n.parse::<u64>().ok()))
        .zip(concurrency)
        .map(|((t, n), c)| (t, n, c))
    else {
        eprintln!("usage: fastagentic-bench drive ADDR PATH REQUESTS CONCURRENCY");
        return ExitCode::from(2);
    };
    let result = block_on(load::fixed_count(&target, concurrency, requests));
    println!(
        "{} requests, {} errors, {:.0} req/s, p50 {:.0} µs, p99 {:.0} µs",
        result.requests, result.errors, result.rps, result.p50_us, result.p99_us
    );
    if let Some(error) = result.first_error {
        println!("first error: {error}");
    }
    ExitCode::SUCCESS
}

/// `drive-streams ADDR PATH N`: opens `N` streams over one second to a server
/// started by hand and reads them to the end (for profiling).
fn drive_streams(args: &[String]) -> ExitCode {
    let Some((target, n)) =
        profiling_target(args, true).zip(args.get(2).and_then(|n| n.parse::<usize>().ok()))
    else {
        eprintln!("usage: fastagentic-bench drive-streams ADDR PATH N");
        return ExitCode::from(2);
    };
    let r = block_on(streams::open_streams(
        &target,
        n,
        std::time::Duration::from_secs(1),
        std::time::Duration::from_secs(120),
        upstream::STREAM_CHUNKS,
    ));
    println!(
        "{} / {} streams ok, first chunk p50 {:.1} ms p99 {:.1} ms, gap p99 {:.1} ms, failures {:?}",
        r.ok, r.n, r.first_p50_ms, r.first_p99_ms, r.gap_p99_ms, r.failures
    );
    ExitCode::SUCCESS
}

/// `shared-store [SECS]`: the latency the Redis store adds to the request
/// path (a cache miss and a limiter check) beside the in-memory store, at
/// c=1 and c=32, against a `redis-server` it starts (default 3 s a cell).
fn shared_store(args: &[String]) -> ExitCode {
    let secs = args
        .first()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(3.0);
    let out = fastagentic_tests::peers::target_dir().join("bench");
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("fastagentic-bench: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(shared_store::run(
        std::time::Duration::from_secs_f64(secs.clamp(0.1, 600.0)),
        &out,
    )) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fastagentic-bench shared-store: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The target of a profiling command from its `ADDR PATH` arguments:
/// `/v1/...` paths get a chat-completion body, others a ticket.
fn profiling_target(args: &[String], stream: bool) -> Option<load::Target> {
    let addr: std::net::SocketAddr = args.first()?.parse().ok()?;
    let path = args.get(1)?;
    let body = if path.starts_with("/v1/") {
        workload::chat_body(stream)
    } else {
        workload::ticket_body()
    };
    Some(load::Target::new(addr, path, body))
}

/// Runs a profiling command's load on the one-thread load-generator runtime.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    load_runtime()
        .expect("the load generator's runtime starts")
        .block_on(future)
}

/// The load generator's runtime: one thread, like `wrk -t1`; servers get the rest.
fn load_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}
