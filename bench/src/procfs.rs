//! What `/proc` tells about processes and the machine: peak RSS, load,
//! whether a compiler is running, and the facts the report prints.

use std::fs;

/// A process's peak resident set size (`VmHWM`), in KiB.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    status_field(pid, "VmHWM:")
}

/// Resets a process's `VmHWM` to its current RSS (`echo 5 > clear_refs`), so
/// the next reading covers only what follows. Returns whether it worked.
pub fn reset_peak_rss(pid: u32) -> bool {
    fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok()
}

fn status_field(pid: u32, field: &str) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
}

/// CPU time a process used so far (user + system), in seconds.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat[stat.rfind(')')? + 2..].split_whitespace().collect();
    // After `pid (comm) `: state is field 3, utime 14 and stime 15 (1-based).
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    // `/proc` counts in USER_HZ, which Linux fixes at 100 for user space.
    Some((user + system) as f64 / 100.0)
}

/// The summed CPU time of the peer processes below a supervisor, in seconds.
pub fn peer_cpu_seconds(supervisor: u32) -> Option<f64> {
    let pids = peer_pids(supervisor);
    if pids.is_empty() {
        return None;
    }
    Some(pids.into_iter().filter_map(cpu_seconds).sum())
}

/// The machine's CPU counters: `(all ticks, steal ticks)` (first line of `/proc/stat`).
pub fn cpu_counters() -> (u64, u64) {
    let stat = fs::read_to_string("/proc/stat").unwrap_or_default();
    let values: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    let steal = values.get(7).copied().unwrap_or(0);
    (values.iter().take(8).sum(), steal)
}

/// `(pid, parent pid, command name)` of every process.
fn processes() -> Vec<(u32, u32, String)> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // `pid (comm) state ppid ...`; comm may hold spaces and parentheses.
            let open = stat.find('(')?;
            let close = stat.rfind(')')?;
            let comm = stat[open + 1..close].to_owned();
            let ppid = stat[close + 1..].split_whitespace().nth(1)?.parse().ok()?;
            Some((pid, ppid, comm))
        })
        .collect()
}

/// The processes below `root` (not `root` itself), with their names.
pub fn descendants(root: u32) -> Vec<(u32, String)> {
    let all = processes();
    let mut found = Vec::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for (pid, ppid, comm) in &all {
            if *ppid == parent && !found.iter().any(|(p, _)| p == pid) {
                found.push((*pid, comm.clone()));
                frontier.push(*pid);
            }
        }
    }
    found
}

/// The peer processes below a supervisor (`sh` wrappers and `sleep`s left out).
pub fn peer_pids(supervisor: u32) -> Vec<u32> {
    descendants(supervisor)
        .into_iter()
        .filter(|(_, comm)| !matches!(comm.as_str(), "sh" | "dash" | "bash" | "sleep"))
        .map(|(pid, _)| pid)
        .collect()
}

/// The summed peak RSS of the peer processes below a supervisor, in KiB.
pub fn peer_peak_rss_kib(supervisor: u32) -> Option<u64> {
    let pids = peer_pids(supervisor);
    if pids.is_empty() {
        return None;
    }
    Some(pids.into_iter().filter_map(peak_rss_kib).sum())
}

/// Resets the peak RSS of every peer process below a supervisor.
pub fn reset_peer_peak_rss(supervisor: u32) {
    for pid in peer_pids(supervisor) {
        reset_peak_rss(pid);
    }
}

/// The 1-minute load average.
pub fn load_average() -> f64 {
    fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN)
}

/// How many `rustc` processes run right now (other builds on the machine).
pub fn rustc_processes() -> usize {
    processes()
        .iter()
        .filter(|(_, _, comm)| comm == "rustc")
        .count()
}

/// The CPU model, the number of cores, memory in GiB and the kernel.
pub fn machine() -> Machine {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map(|(_, model)| model.trim().to_owned())
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let mem_kib = fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
        })
        .unwrap_or(0);
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|k| k.trim().to_owned())
        .unwrap_or_default();
    let rustc = std::process::Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    Machine {
        cpu,
        cores,
        mem_gib: mem_kib as f64 / (1024.0 * 1024.0),
        kernel,
        rustc,
    }
}

/// The machine the benchmark ran on.
#[derive(Clone, Debug)]
pub struct Machine {
    /// CPU model name.
    pub cpu: String,
    /// Cores available to this process.
    pub cores: usize,
    /// Memory in GiB.
    pub mem_gib: f64,
    /// Kernel release.
    pub kernel: String,
    /// `rustc --version`.
    pub rustc: String,
}

impl Machine {
    /// One line for the report.
    pub fn describe(&self) -> String {
        format!(
            "{} cores ({}), {:.0} GiB, Linux {}, {}",
            self.cores, self.cpu, self.mem_gib, self.kernel, self.rustc
        )
    }
}

/// Today's date (UTC) as `YYYY-MM-DD` and the time as `HH:MM UTC`.
pub fn utc_now() -> (String, String) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        format!("{year:04}-{month:02}-{day:02}"),
        format!("{:02}:{:02} UTC", rem / 3600, rem % 3600 / 60),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_own_peak_rss_cpu_and_date() {
        assert!(peak_rss_kib(std::process::id()).is_some_and(|kib| kib > 0));
        assert!(cpu_seconds(std::process::id()).is_some_and(|s| s >= 0.0));
        let (all, steal) = cpu_counters();
        assert!(all > 0 && steal <= all);
        let (date, _) = utc_now();
        assert_eq!(date.len(), 10);
        assert!(date.starts_with("20"));
    }
}
