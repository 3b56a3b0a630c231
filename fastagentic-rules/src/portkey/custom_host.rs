//! `custom_host`: the provider base URL a target sends requests to, and the
//! gateway's guard against server-side request forgery (SSRF).
//!
//! Fact: `isValidCustomHost` in `src/middlewares/requestValidator/index.ts` of
//! Portkey-AI/gateway at tag v1.15.2, applied to `custom_host` by the config
//! schema and to the `x-portkey-custom-host` header. It parses the value with
//! the WHATWG URL parser and refuses:
//! - control characters, anything containing `api.portkey`, any `@`;
//! - schemes other than `http`/`https` (`file://`, `data:`, `gopher:`,
//!   `ftp://`, `ftps://` named explicitly);
//! - a hostname with `%`, whitespace or `<>{}|\^``, non-ASCII, a trailing
//!   `.`, more than 10 labels, or any character outside `[a-z0-9.-]` (so
//!   every IPv6 literal: its hostname keeps the brackets, e.g. `[::1]`);
//! - unless the host is trusted (`TRUSTED_CUSTOM_HOSTS`, by default
//!   [`DEFAULT_TRUSTED_CUSTOM_HOSTS`], plus subdomains of `.localhost`):
//!   cloud metadata hosts, `169.254.169.*`, internal TLDs (`.local`,
//!   `.internal`, ...), private IPv4 (10/8, 172.16/12, 192.168/16) and
//!   reserved IPv4 (127/8, 169.254/16, 100.64/10, 0/8, 224/3);
//! - a port outside 1..=65535.
//!
//! FastAgentic is a little stricter where the gateway's URL parser would
//! silently rewrite the value: numeric hosts must be canonical dotted decimal
//! (`2130706433` and `127.1` are rejected with the spelling to use), and a
//! base URL may not carry `?`, `#`, `\` or whitespace.

/// The hosts gateway 1.15.2 trusts when its `TRUSTED_CUSTOM_HOSTS` is unset.
///
/// `::1` is listed by the gateway but can never match: the gateway compares
/// the URL's hostname, which for IPv6 keeps its brackets (`[::1]`), and its
/// character check rejects brackets first.
pub const DEFAULT_TRUSTED_CUSTOM_HOSTS: &[&str] =
    &["localhost", "127.0.0.1", "::1", "host.docker.internal"];

const BLOCKED_HOSTS: &[&str] = &[
    "0.0.0.0",
    "169.254.169.254",
    "metadata.google.internal",
    "metadata",
    "metadata.azure.com",
    "instance-data",
];

const BLOCKED_SUFFIXES: &[&str] = &[
    ".local",
    ".localdomain",
    ".internal",
    ".intranet",
    ".lan",
    ".home",
    ".corp",
    ".test",
    ".invalid",
    ".onion",
    ".localhost",
];

const REFUSED_SCHEMES: &[&str] = &["file://", "data:", "gopher:", "ftp://", "ftps://"];

/// Checks a `custom_host` (or `x-portkey-custom-host`) value the way the
/// Portkey gateway's SSRF guard does, with `trusted_hosts` standing for the
/// gateway's `TRUSTED_CUSTOM_HOSTS` (use [`DEFAULT_TRUSTED_CUSTOM_HOSTS`]
/// unless your gateway sets it).
///
/// ```
/// use fastagentic_rules::portkey::{check_custom_host, DEFAULT_TRUSTED_CUSTOM_HOSTS as TRUSTED};
/// assert!(check_custom_host("http://127.0.0.1:8000/v1", TRUSTED).is_ok());
/// assert!(check_custom_host("https://llm.example.com/v1", TRUSTED).is_ok());
/// assert!(check_custom_host("http://169.254.169.254/latest", TRUSTED).is_err());
/// assert!(check_custom_host("ftp://example.com", TRUSTED).is_err());
/// ```
pub fn check_custom_host(url: &str, trusted_hosts: &[&str]) -> Result<(), String> {
    // Messages show the URL without its `user:password@` part: it is a credential.
    let shown = without_credentials(url);
    let refuse = |reason: String| Err(format!("custom_host `{shown}` is refused: {reason}"));
    if url.trim().is_empty() {
        return Err("custom_host is empty: write the provider's base URL, e.g. \
                    `http://localhost:8000/v1`, or remove the key"
            .to_owned());
    }
    if url.chars().any(|c| c.is_control()) {
        return Err(format!(
            "custom_host {shown:?} contains a control character: the gateway's SSRF guard refuses it"
        ));
    }
    if url.chars().any(char::is_whitespace) {
        return refuse(format!(
            "it contains whitespace; write `{}`",
            shown.split_whitespace().collect::<String>()
        ));
    }
    let lower = url.to_ascii_lowercase();
    if lower.contains("api.portkey") {
        return refuse(
            "it points at Portkey itself (`api.portkey`); write your provider's base URL"
                .to_owned(),
        );
    }
    let Some((scheme, rest)) = lower.split_once("://") else {
        if let Some(scheme) = REFUSED_SCHEMES
            .iter()
            .find(|scheme| lower.starts_with(*scheme))
        {
            return refuse(format!(
                "the gateway's SSRF guard allows only http:// and https:// URLs, not `{scheme}`"
            ));
        }
        if let Some((scheme @ ("http" | "https"), _)) = lower.split_once(':') {
            let rest = url[scheme.len() + 1..].trim_start_matches('/');
            let fixed = format!("{scheme}://{rest}");
            return refuse(format!(
                "the scheme needs `//`; write `{}`",
                without_credentials(&fixed)
            ));
        }
        return refuse(format!(
            "it has no scheme; write `http://{shown}` (or `https://`)"
        ));
    };
    if scheme != "http" && scheme != "https" {
        return refuse(format!(
            "the gateway's SSRF guard allows only http:// and https:// URLs, not `{scheme}://`"
        ));
    }
    if url.contains('@') {
        return refuse(
            "credentials in the URL (`user:password@`) and any `@` are refused by the gateway's \
             SSRF guard; give the key as `api_key` instead"
                .to_owned(),
        );
    }
    if let Some(c) = url.chars().find(|c| matches!(c, '?' | '#' | '\\')) {
        return refuse(format!(
            "a base URL may not contain `{c}`: the gateway appends the endpoint path (e.g. \
             `/chat/completions`) to it; write `scheme://host[:port][/path]`"
        ));
    }
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.is_empty() {
        return refuse("it has no host; write e.g. `http://localhost:8000/v1`".to_owned());
    }
    if authority.starts_with('[') {
        return refuse(
            "Portkey gateway 1.15.2 refuses every IPv6 literal host (its host check allows only \
             letters, digits, `.` and `-`, and the hostname keeps its brackets); for this machine \
             write `http://localhost:PORT`"
                .to_owned(),
        );
    }
    let (host, port) = match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    if let Some(port) = port {
        let valid = !port.is_empty()
            && port.chars().all(|c| c.is_ascii_digit())
            && port.parse::<u32>().is_ok_and(|p| (1..=65_535).contains(&p));
        if !valid {
            return refuse(format!("the port `{port}` is not a number in 1..=65535"));
        }
    }
    check_host(host, trusted_hosts).or_else(refuse)
}

/// `url` with the user-info of its authority (`user:password@`) shown as
/// `***@`, for messages.
fn without_credentials(url: &str) -> std::borrow::Cow<'_, str> {
    let start = url.find("://").map_or(0, |at| at + 3);
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |at| start + at);
    match url[start..end].rfind('@') {
        Some(at) => format!("{}***{}", &url[..start], &url[start + at..]).into(),
        None => url.into(),
    }
}

/// The gateway's hostname rules; `host` is ASCII-lower-cased.
fn check_host(host: &str, trusted_hosts: &[&str]) -> Result<(), String> {
    if host.is_empty() {
        return Err("it has no host; write e.g. `http://localhost:8000/v1`".to_owned());
    }
    if host.contains('%') {
        return Err(
            "a percent-encoded host is refused by the gateway's SSRF guard; write it plainly"
                .to_owned(),
        );
    }
    if !host.is_ascii() {
        return Err(
            "the gateway's SSRF guard refuses non-ASCII hosts; write the punycode form (`xn--...`)"
                .to_owned(),
        );
    }
    if let Some(c) = host
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '.' || *c == '-'))
    {
        return Err(format!(
            "the host `{host}` contains `{c}`; the gateway's SSRF guard allows only letters, \
             digits, `.` and `-`"
        ));
    }
    if let Some(address) = parse_numeric_host(host)? {
        let canonical = format_ipv4(address);
        if canonical != host {
            return Err(format!(
                "`{host}` is an IPv4 address in a non-standard form; write `{canonical}`"
            ));
        }
        return check_ipv4(host, address, trusted_hosts);
    }
    if host.ends_with('.') {
        return Err(format!(
            "the host `{host}` ends with `.`, which the gateway's SSRF guard refuses; write `{}`",
            host.trim_end_matches('.')
        ));
    }
    let labels: Vec<&str> = host.split('.').collect();
    if labels.iter().any(|label| label.is_empty()) {
        return Err(format!(
            "the host `{host}` has an empty label (`..` or a leading `.`)"
        ));
    }
    if labels.len() > 10 {
        return Err(format!(
            "the host `{host}` has {} labels; the gateway's SSRF guard allows at most 10",
            labels.len()
        ));
    }
    if is_trusted(host, trusted_hosts) {
        return Ok(());
    }
    if BLOCKED_HOSTS.contains(&host) {
        return Err(format!(
            "`{host}` is a cloud metadata or internal host, blocked by the gateway's SSRF guard"
        ));
    }
    if let Some(suffix) = BLOCKED_SUFFIXES
        .iter()
        .find(|suffix| host.ends_with(*suffix))
    {
        return Err(format!(
            "hosts under `{suffix}` are internal names the gateway's SSRF guard refuses unless its \
             TRUSTED_CUSTOM_HOSTS lists them; use a public name, or `localhost` for this machine"
        ));
    }
    Ok(())
}

fn is_trusted(host: &str, trusted_hosts: &[&str]) -> bool {
    let trusts = |name: &str| {
        trusted_hosts
            .iter()
            .any(|trusted| trusted.trim().eq_ignore_ascii_case(name))
    };
    trusts(host) || (trusts("localhost") && host.ends_with(".localhost"))
}

fn check_ipv4(host: &str, address: u32, trusted_hosts: &[&str]) -> Result<(), String> {
    if is_trusted(host, trusted_hosts) {
        return Ok(());
    }
    let [a, b, _, _] = address.to_be_bytes();
    let unless_trusted = "unless the gateway's TRUSTED_CUSTOM_HOSTS lists it";
    let reason = match (a, b) {
        (169, 254) => format!(
            "`{host}` is link-local, where cloud metadata services live; the gateway's SSRF guard blocks it"
        ),
        (127, _) => format!(
            "`{host}` is a loopback address other than 127.0.0.1, refused by the gateway's SSRF guard \
             {unless_trusted}; write `127.0.0.1` or `localhost`"
        ),
        (10, _) | (192, 168) => format!(
            "`{host}` is a private network address, refused by the gateway's SSRF guard {unless_trusted}"
        ),
        (172, 16..=31) => format!(
            "`{host}` is a private network address, refused by the gateway's SSRF guard {unless_trusted}"
        ),
        (100, 64..=127) => format!(
            "`{host}` is a carrier-grade NAT address, refused by the gateway's SSRF guard {unless_trusted}"
        ),
        (0, _) => format!(
            "`{host}` is in 0.0.0.0/8 (\"this network\"), blocked by the gateway's SSRF guard"
        ),
        (224..=255, _) => format!(
            "`{host}` is a multicast, reserved or broadcast address, blocked by the gateway's SSRF guard"
        ),
        _ => return Ok(()),
    };
    Err(reason)
}

/// Parses `host` as the WHATWG URL parser does when it "ends in a number":
/// `Ok(Some(address))` for an IPv4 host in any accepted form (dotted, decimal
/// `2130706433`, short `127.1`, hex `0x7f.1`, octal `0177.0.0.1`),
/// `Ok(None)` for a domain name, `Err` for a host the parser rejects.
fn parse_numeric_host(host: &str) -> Result<Option<u32>, String> {
    let mut parts: Vec<&str> = host.split('.').collect();
    if parts.len() > 1 && parts.last().is_some_and(|last| last.is_empty()) {
        parts.pop();
    }
    let ends_in_number = parts.last().is_some_and(|last| {
        !last.is_empty()
            && (last.chars().all(|c| c.is_ascii_digit()) || parse_ipv4_part(last).is_some())
    });
    if !ends_in_number {
        return Ok(None);
    }
    let invalid =
        || format!("`{host}` is not a valid host (it ends in a number but is not an IPv4 address)");
    if parts.len() > 4 {
        return Err(invalid());
    }
    let mut numbers = Vec::with_capacity(parts.len());
    for part in &parts {
        numbers.push(parse_ipv4_part(part).ok_or_else(invalid)?);
    }
    let Some((last, leading)) = numbers.split_last() else {
        return Err(invalid());
    };
    if leading.iter().any(|n| *n > 255) {
        return Err(invalid());
    }
    let last_limit = 256_u64.pow(5 - u32::try_from(parts.len()).map_err(|_| invalid())?);
    if *last >= last_limit {
        return Err(invalid());
    }
    let mut address = *last;
    for (index, n) in leading.iter().enumerate() {
        let shift = 8 * (3 - u32::try_from(index).map_err(|_| invalid())?);
        address += n << shift;
    }
    u32::try_from(address).map(Some).map_err(|_| invalid())
}

/// One part of a WHATWG IPv4 host: decimal, `0x` hex (possibly empty) or `0` octal.
fn parse_ipv4_part(part: &str) -> Option<u64> {
    if part.is_empty() {
        return None;
    }
    let (digits, radix) =
        if let Some(hex) = part.strip_prefix("0x").or_else(|| part.strip_prefix("0X")) {
            (hex, 16)
        } else if part.len() > 1 && part.starts_with('0') {
            (&part[1..], 8)
        } else {
            (part, 10)
        };
    if digits.is_empty() {
        return Some(0);
    }
    if !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    // Anything past 2^32 is out of range anyway; cap to avoid overflow.
    if digits.len() > 12 {
        return Some(u64::MAX);
    }
    u64::from_str_radix(digits, radix).ok()
}

fn format_ipv4(address: u32) -> String {
    let [a, b, c, d] = address.to_be_bytes();
    format!("{a}.{b}.{c}.{d}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(url: &str) {
        if let Err(error) = check_custom_host(url, DEFAULT_TRUSTED_CUSTOM_HOSTS) {
            panic!("expected `{url}` to pass: {error}");
        }
    }

    fn refused(url: &str) -> String {
        match check_custom_host(url, DEFAULT_TRUSTED_CUSTOM_HOSTS) {
            Ok(()) => panic!("expected `{url}` to be refused"),
            Err(error) => error,
        }
    }

    #[test]
    fn accepts_public_hosts_and_trusted_loopback() {
        ok("https://api.openai.com/v1");
        ok("http://localhost:8000/v1");
        ok("http://LOCALHOST:8000/v1");
        ok("http://127.0.0.1:11434");
        ok("http://host.docker.internal:8080/v1");
        ok("http://my-model.localhost:8080");
        ok("https://my-resource.openai.azure.com/openai");
        ok("https://8.8.8.8/v1");
        ok("https://a.b.c.d.e.f.g.h.i.j/");
        ok("HTTPS://Example.COM:443/V1");
        ok("http://example.com:65535");
    }

    #[test]
    fn refuses_blank_and_control_characters() {
        assert!(refused("").starts_with("custom_host is empty"));
        assert!(refused("  ").starts_with("custom_host is empty"));
        assert!(refused("http://localhost\u{0}/v1").contains("control character"));
        assert!(
            refused("http://localhost/v1 ").contains("whitespace; write `http://localhost/v1`")
        );
    }

    #[test]
    fn refuses_other_schemes() {
        assert!(
            refused("ftp://example.com")
                .contains("allows only http:// and https:// URLs, not `ftp://`")
        );
        assert!(refused("file:///etc/passwd").contains("not `file://`"));
        assert!(refused("gopher://example.com").contains("not `gopher://`"));
        assert!(refused("data:text/plain,hi").contains("not `data:`"));
        assert!(refused("ws://example.com").contains("not `ws://`"));
        assert_eq!(
            refused("localhost:8000/v1"),
            "custom_host `localhost:8000/v1` is refused: it has no scheme; write `http://localhost:8000/v1` (or `https://`)"
        );
        assert!(
            refused("http:example.com")
                .ends_with("the scheme needs `//`; write `http://example.com`")
        );
        assert!(refused("HTTPS:/example.com/v1").ends_with("write `https://example.com/v1`"));
    }

    #[test]
    fn refuses_credentials_and_at_signs() {
        assert!(refused("http://user:pass@example.com").contains("credentials in the URL"));
        // The message never repeats the credential.
        let message = refused("http://user:s3cret@example.com/v1");
        assert!(!message.contains("s3cret"), "{message}");
        assert!(
            message.starts_with("custom_host `http://***@example.com/v1` is refused"),
            "{message}"
        );
        for leaky in [
            "http://user:s3cret @example.com",
            "user:s3cret@example.com",
            "http:user:s3cret@example.com",
        ] {
            let message = refused(leaky);
            assert!(!message.contains("s3cret"), "{message}");
        }
        assert!(refused("http://example.com/@x").contains("credentials in the URL"));
    }

    #[test]
    fn refuses_portkey_itself() {
        assert!(refused("https://api.portkey.ai/v1").contains("points at Portkey itself"));
    }

    #[test]
    fn refuses_cloud_metadata() {
        for url in [
            "http://169.254.169.254/latest/meta-data",
            "http://169.254.169.254",
            "http://169.254.170.2/v2/credentials",
            "http://metadata.google.internal/computeMetadata/v1",
            "http://metadata/",
            "http://metadata.azure.com",
            "http://instance-data/latest",
        ] {
            let error = refused(url);
            assert!(
                error.contains("metadata")
                    || error.contains("link-local")
                    || error.contains("internal"),
                "{url}: {error}"
            );
        }
        assert!(refused("http://0.0.0.0:8000").contains("0.0.0.0/8"));
    }

    #[test]
    fn refuses_obfuscated_addresses_with_the_plain_spelling() {
        assert!(refused("http://2852039166/").contains("write `169.254.169.254`"));
        assert!(refused("http://0xa9fea9fe/").contains("write `169.254.169.254`"));
        assert!(refused("http://0251.0376.0251.0376/").contains("write `169.254.169.254`"));
        assert!(refused("http://2130706433:8000").contains("write `127.0.0.1`"));
        assert!(refused("http://127.1").contains("write `127.0.0.1`"));
        assert!(refused("http://127.0.0.1.:80").contains("write `127.0.0.1`"));
        assert!(refused("http://1.2.3.4.5").contains("not a valid host"));
        assert!(refused("http://256.1.1.1").contains("not a valid host"));
        assert!(refused("http://foo.0x1").contains("not a valid host"));
        assert!(refused("http://99999999999999999999").contains("not a valid host"));
    }

    #[test]
    fn refuses_private_and_reserved_ranges_unless_trusted() {
        assert!(refused("http://10.0.0.5:8000").contains("private network address"));
        assert!(refused("http://172.16.0.1").contains("private network address"));
        assert!(refused("http://172.31.255.255").contains("private network address"));
        ok("http://172.32.0.1");
        assert!(refused("http://192.168.1.10:11434").contains("TRUSTED_CUSTOM_HOSTS"));
        assert!(refused("http://127.0.0.2").contains("write `127.0.0.1` or `localhost`"));
        assert!(refused("http://100.64.0.1").contains("carrier-grade NAT"));
        assert!(refused("http://224.0.0.1").contains("multicast"));
        assert!(refused("http://255.255.255.255").contains("broadcast"));
        assert_eq!(
            check_custom_host("http://192.168.1.10:11434", &["192.168.1.10"]),
            Ok(())
        );
        // A custom trusted list replaces the default one, as on the gateway.
        assert!(check_custom_host("http://localhost:8000", &["192.168.1.10"]).is_ok());
        assert!(check_custom_host("http://127.0.0.1:8000", &["192.168.1.10"]).is_err());
        assert!(check_custom_host("http://my.lan", &["my.lan"]).is_ok());
    }

    #[test]
    fn refuses_internal_suffixes() {
        assert!(refused("http://llm.internal/v1").contains("`.internal`"));
        assert!(refused("http://printer.local").contains("`.local`"));
        assert!(refused("http://api.test").contains("`.test`"));
        assert!(refused("http://box.corp:8000").contains("`.corp`"));
        ok("http://localhost");
    }

    #[test]
    fn refuses_ipv6_literals_like_the_gateway() {
        for url in [
            "http://[::1]:8000/v1",
            "http://[2001:db8::1]/",
            "http://[::ffff:169.254.169.254]/",
        ] {
            assert!(
                refused(url).contains("refuses every IPv6 literal host"),
                "{url}"
            );
        }
    }

    #[test]
    fn refuses_odd_hostnames() {
        assert!(refused("http://my_host:8000").contains("contains `_`"));
        assert!(refused("http://ex%41mple.com").contains("percent-encoded"));
        assert!(refused("http://例子.com").contains("punycode"));
        assert!(refused("http://example.com./v1").contains("ends with `.`"));
        assert!(refused("http://a..b.com").contains("empty label"));
        assert!(refused("http://a.b.c.d.e.f.g.h.i.j.k/").contains("11 labels"));
        assert!(refused("http:///v1").contains("no host"));
        assert!(refused("http://:8000/v1").contains("no host"));
    }

    #[test]
    fn refuses_bad_ports() {
        assert!(refused("http://localhost:0").contains("port `0`"));
        assert!(refused("http://localhost:65536").contains("port `65536`"));
        assert!(refused("http://localhost:").contains("port ``"));
        assert!(refused("http://localhost:80a").contains("port `80a`"));
        assert!(refused("http://localhost:1:2").contains("port `1:2`"));
    }

    #[test]
    fn refuses_query_fragment_and_backslash() {
        assert!(refused("http://localhost:8000/v1?x=1").contains("may not contain `?`"));
        assert!(refused("http://localhost:8000/v1#x").contains("may not contain `#`"));
        assert!(refused("http://localhost\\@evil.com").contains("credentials"));
        assert!(refused("http://localhost\\v1").contains("may not contain `\\`"));
    }

    #[test]
    fn whatwg_ipv4_forms_parse() {
        assert_eq!(parse_numeric_host("example.com"), Ok(None));
        assert_eq!(parse_numeric_host("1.2.3.4"), Ok(Some(0x0102_0304)));
        assert_eq!(parse_numeric_host("0x7f.1"), Ok(Some(0x7f00_0001)));
        assert_eq!(parse_numeric_host("0x"), Ok(Some(0)));
        assert_eq!(parse_numeric_host("4294967295"), Ok(Some(u32::MAX)));
        assert!(parse_numeric_host("4294967296").is_err());
        assert!(parse_numeric_host("08.1.1.1").is_err());
        assert_eq!(parse_numeric_host("1.2.3.example"), Ok(None));
    }
}
