//! The documented signatures the classifier matches: user agents and published address ranges,
//! read from the JSON files in `tracking/data/` (each entry names its sources). Built in with
//! `include_str!`, or loaded from a folder so the server can take newer data without a release.

use super::{HitClass, HitKind};
use ipnet::IpNet;
use serde::Deserialize;
use std::net::IpAddr;

const BUILTIN_USER_AGENTS: &str = include_str!("../../data/user_agents.json");
const BUILTIN_IP_RANGES: &str = include_str!("../../data/ip_ranges.json");
/// The two files a signature folder holds.
pub const USER_AGENTS_FILE: &str = "user_agents.json";
pub const IP_RANGES_FILE: &str = "ip_ranges.json";

/// Why signature data was refused. Messages say which file and what to fix.
#[derive(Debug, thiserror::Error)]
pub enum SignatureError {
    #[error("{file} is not valid signature data ({reason}); fix it or remove it to use the built-in data")]
    Invalid { file: &'static str, reason: String },
    #[error("cannot read {path} ({reason}); check the --classifier-data folder")]
    Read { path: String, reason: String },
}

/// Where a signature is documented.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub url: String,
    pub note: String,
    /// When the entry was checked against its source (YYYY-MM-DD).
    pub checked: String,
}

/// Which hits a signature is about (both when absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum KindFilter {
    Open,
    Click,
}

fn applies(kinds: &[KindFilter], kind: HitKind) -> bool {
    kinds.is_empty()
        || kinds.iter().any(|k| {
            matches!(
                (k, kind),
                (KindFilter::Open, HitKind::Open) | (KindFilter::Click, HitKind::Click { .. })
            )
        })
}

/// A user-agent signature.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentSignature {
    pub reason: String,
    pub class: HitClass,
    /// Case-insensitive substrings.
    #[serde(default)]
    pub contains: Vec<String>,
    /// Whole user agents (trimmed, case-insensitive).
    #[serde(default)]
    pub exact: Vec<String>,
    #[serde(default)]
    kinds: Vec<KindFilter>,
    pub sources: Vec<Source>,
}

/// A published address range signature.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeSignature {
    pub reason: String,
    pub class: HitClass,
    #[serde(deserialize_with = "cidrs")]
    pub cidrs: Vec<IpNet>,
    /// When set, the range only confirms that user-agent signature (adds its reason when both
    /// match) and decides nothing alone: Google's ranges also carry people browsing.
    #[serde(default)]
    pub confirms: Option<String>,
    #[serde(default)]
    kinds: Vec<KindFilter>,
    pub sources: Vec<Source>,
}

fn cidrs<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<IpNet>, D::Error> {
    let texts: Vec<String> = Vec::deserialize(deserializer)?;
    texts
        .iter()
        .map(|text| {
            text.parse::<IpNet>()
                .map_err(|e| serde::de::Error::custom(format!("`{text}` is not a CIDR range: {e}")))
        })
        .collect()
}

#[derive(Deserialize)]
struct AgentFile {
    #[allow(dead_code)]
    about: String,
    signatures: Vec<AgentSignature>,
}

#[derive(Deserialize)]
struct RangeFile {
    #[allow(dead_code)]
    about: String,
    ranges: Vec<RangeSignature>,
}

/// The signatures the classifier matches.
#[derive(Debug, Clone, Default)]
pub struct Signatures {
    pub agents: Vec<AgentSignature>,
    pub ranges: Vec<RangeSignature>,
}

impl Signatures {
    /// The data shipped in `tracking/data/`.
    pub fn builtin() -> Signatures {
        // The built-in files are part of the crate and checked by its tests.
        Signatures::from_strs(BUILTIN_USER_AGENTS, BUILTIN_IP_RANGES)
            .unwrap_or_else(|err| panic!("built-in classifier data: {err}"))
    }

    /// Parses the two files' contents (`user_agents.json`, `ip_ranges.json`).
    pub fn from_strs(user_agents: &str, ip_ranges: &str) -> Result<Signatures, SignatureError> {
        let agents: AgentFile =
            serde_json::from_str(user_agents).map_err(|e| SignatureError::Invalid {
                file: USER_AGENTS_FILE,
                reason: e.to_string(),
            })?;
        let ranges: RangeFile =
            serde_json::from_str(ip_ranges).map_err(|e| SignatureError::Invalid {
                file: IP_RANGES_FILE,
                reason: e.to_string(),
            })?;
        let signatures = Signatures {
            agents: agents.signatures,
            ranges: ranges.ranges,
        };
        signatures.check()?;
        Ok(signatures)
    }

    /// Reads `user_agents.json` and `ip_ranges.json` from `dir` (the server's
    /// `--classifier-data DIR`).
    #[cfg(feature = "fs")]
    pub fn from_dir(dir: &std::path::Path) -> Result<Signatures, SignatureError> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read_to_string(&path).map_err(|e| SignatureError::Read {
                path: path.display().to_string(),
                reason: e.to_string(),
            })
        };
        Signatures::from_strs(&read(USER_AGENTS_FILE)?, &read(IP_RANGES_FILE)?)
    }

    fn check(&self) -> Result<(), SignatureError> {
        let invalid = |file, reason: String| Err(SignatureError::Invalid { file, reason });
        for agent in &self.agents {
            if agent.sources.is_empty() {
                return invalid(
                    USER_AGENTS_FILE,
                    format!("{} names no source", agent.reason),
                );
            }
            if agent
                .contains
                .iter()
                .chain(&agent.exact)
                .any(|p| p.trim().is_empty())
                || agent.contains.len() + agent.exact.len() == 0
            {
                return invalid(
                    USER_AGENTS_FILE,
                    format!("{} has an empty pattern", agent.reason),
                );
            }
        }
        for range in &self.ranges {
            if range.sources.is_empty() || range.cidrs.is_empty() {
                return invalid(
                    IP_RANGES_FILE,
                    format!("{} names no source or no range", range.reason),
                );
            }
            if let Some(confirmed) = &range.confirms {
                if !self.agents.iter().any(|a| &a.reason == confirmed) {
                    return invalid(
                        IP_RANGES_FILE,
                        format!(
                            "{} confirms unknown agent signature {confirmed}",
                            range.reason
                        ),
                    );
                }
            }
        }
        Ok(())
    }

    /// The first user-agent signature that matches.
    pub(super) fn agent(&self, user_agent: &str, kind: HitKind) -> Option<&AgentSignature> {
        let trimmed = user_agent.trim();
        let lower = trimmed.to_ascii_lowercase();
        self.agents.iter().find(|agent| {
            applies(&agent.kinds, kind)
                && (agent.exact.iter().any(|e| e.eq_ignore_ascii_case(trimmed))
                    || agent
                        .contains
                        .iter()
                        .any(|c| lower.contains(&c.to_ascii_lowercase())))
        })
    }

    /// The range signatures `ip` falls in, for this kind of hit.
    pub(super) fn ranges_of(
        &self,
        ip: IpAddr,
        kind: HitKind,
    ) -> impl Iterator<Item = &RangeSignature> {
        // An IPv4 address written as IPv6 (`::ffff:a.b.c.d`, as dual-stack servers see it)
        // is matched as IPv4.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        self.ranges.iter().filter(move |range| {
            applies(&range.kinds, kind) && range.cidrs.iter().any(|net| net.contains(&ip))
        })
    }
}
