//! What `REDIS_URL` names: one server or a cluster's nodes, and the same
//! with any password hidden, for logs and errors.

use super::StoreError;

/// One Redis server, or the seed nodes of a Redis Cluster.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum RedisAddress {
    /// `redis://host:port/db` (or `rediss://`, `unix://`).
    Single(String),
    /// Several comma-separated URLs, or `redis+cluster://host:port`.
    Cluster(Vec<String>),
}

/// Shown with passwords hidden.
impl std::fmt::Debug for RedisAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl RedisAddress {
    /// Reads `url`; a malformed one is an error that names the fix.
    pub(crate) fn parse(url: &str) -> Result<Self, StoreError> {
        let url = url.trim();
        let invalid = |reason: &str| StoreError::InvalidUrl {
            url: redact(url),
            reason: reason.to_owned(),
        };
        if url.is_empty() {
            return Err(invalid("it is empty"));
        }
        let (cluster, rest) = match url.strip_prefix("redis+cluster://") {
            Some(rest) => (true, format!("redis://{rest}")),
            None => (false, url.to_owned()),
        };
        let nodes: Vec<String> = rest
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| {
                if part.contains("://") {
                    part.to_owned()
                } else {
                    format!("redis://{part}")
                }
            })
            .collect();
        for node in &nodes {
            let scheme = node.split("://").next().unwrap_or("");
            if !matches!(scheme, "redis" | "rediss" | "unix" | "redis+unix") {
                return Err(invalid(&format!(
                    "unknown scheme `{scheme}://`; expected redis://, rediss:// or unix://"
                )));
            }
            if let Err(error) = redis::IntoConnectionInfo::into_connection_info(node.as_str()) {
                return Err(invalid(&error.to_string()));
            }
        }
        match nodes.len() {
            0 => Err(invalid("it names no server")),
            1 if !cluster => Ok(Self::Single(nodes.into_iter().next().unwrap_or_default())),
            _ => Ok(Self::Cluster(nodes)),
        }
    }

    /// The address with passwords hidden.
    pub(crate) fn redacted(&self) -> String {
        match self {
            Self::Single(url) => redact(url),
            Self::Cluster(nodes) => format!(
                "cluster {}",
                nodes
                    .iter()
                    .map(|n| redact(n))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        }
    }
}

/// `url` with the password of its user part replaced by `***`.
pub(crate) fn redact(url: &str) -> String {
    url.split(',')
        .map(|part| {
            let Some((scheme, rest)) = part.split_once("://") else {
                return part.to_owned();
            };
            let authority_end = rest.find('/').unwrap_or(rest.len());
            let (authority, path) = rest.split_at(authority_end);
            match authority.rsplit_once('@') {
                Some((user, host)) => {
                    let user = match user.split_once(':') {
                        Some((name, _)) => format!("{name}:***"),
                        None => "***".to_owned(),
                    };
                    format!("{scheme}://{user}@{host}{path}")
                }
                None => part.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_url_is_one_server_and_several_are_a_cluster() {
        assert_eq!(
            RedisAddress::parse("redis://127.0.0.1:6379/0").unwrap(),
            RedisAddress::Single("redis://127.0.0.1:6379/0".into())
        );
        assert_eq!(
            RedisAddress::parse("redis://a:1, redis://b:2").unwrap(),
            RedisAddress::Cluster(vec!["redis://a:1".into(), "redis://b:2".into()])
        );
        assert_eq!(
            RedisAddress::parse("redis+cluster://a:1").unwrap(),
            RedisAddress::Cluster(vec!["redis://a:1".into()])
        );
    }

    #[test]
    fn a_bad_url_names_the_fix_and_hides_the_password() {
        let error = RedisAddress::parse("http://user:hunter2@host:1").unwrap_err();
        let text = error.to_string();
        assert!(text.contains("REDIS_URL"), "{text}");
        assert!(text.contains("unknown scheme"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(RedisAddress::parse("  ").is_err());
    }

    #[test]
    fn passwords_are_hidden() {
        assert_eq!(
            redact("redis://:hunter2@h:1/0"),
            "redis://:***@h:1/0".to_owned()
        );
        assert_eq!(redact("redis://u:p@h:1"), "redis://u:***@h:1");
        assert_eq!(redact("redis://secret@h:1"), "redis://***@h:1");
        assert_eq!(redact("redis://h:1"), "redis://h:1");
    }
}
