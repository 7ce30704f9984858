//! Load profiles (`scenarios/load/*.toml`): the traffic mix and the run's default shape.
//! The format is documented in `scenarios/load/README.md`; the built-in profiles are
//! embedded so the binary runs anywhere, and a path to any other file works too.

use super::error::LoadError;
use std::time::Duration;

use serde::Deserialize;

/// The built-in profiles: (name, file contents).
const BUILTIN: [(&str, &str); 3] = [
    (
        "member-mix",
        include_str!("../../scenarios/load/member-mix.toml"),
    ),
    (
        "directory",
        include_str!("../../scenarios/load/directory.toml"),
    ),
    ("healthz", include_str!("../../scenarios/load/healthz.toml")),
];

/// The profile `smartcheck load` uses when none is named.
pub const DEFAULT_PROFILE: &str = "member-mix";

/// A load profile.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadProfile {
    pub name: String,
    pub description: String,
    #[serde(default)]
    pub run: RunShape,
    #[serde(rename = "transaction")]
    pub transactions: Vec<TransactionSpec>,
}

/// The run's shape; every field can be overridden on the command line.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RunShape {
    /// Closed model: goose users at full load.
    pub users: usize,
    /// Closed model: users started per second during the ramp.
    pub increase_rate: f64,
    /// How long the run lasts (e.g. `"30s"`, `"2m"`), ramp included.
    pub duration: String,
    /// The run stops after this many requests whatever the duration.
    pub max_requests: u64,
    /// Members logged in before the ramp (the token pool). On the bundled server these are
    /// generated members; on a remote target, at most the profile's members.
    pub members: usize,
    /// New member logins per second during the run (0 = none).
    pub login_rate: f64,
    /// Open model: most transactions in flight; an arrival beyond it is dropped and counted.
    pub max_in_flight: usize,
    /// Largest number of `$everything` pages one walk follows.
    pub max_pages: usize,
}

impl Default for RunShape {
    fn default() -> Self {
        RunShape {
            users: 10,
            increase_rate: 10.0,
            duration: "10s".into(),
            max_requests: 1_000_000,
            members: 20,
            login_rate: 0.0,
            max_in_flight: 1_000,
            max_pages: 100,
        }
    }
}

/// One transaction kind with its weight in the mix.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransactionSpec {
    pub kind: Kind,
    pub weight: u32,
    /// `get`: the path (relative to the target's root URL, e.g. `/healthz`) or absolute URL.
    pub path: Option<String>,
    /// `directory-search`: the resource types searched in turn.
    #[serde(default)]
    pub types: Vec<String>,
}

/// What a transaction does. Each records every request under an endpoint name (paths with
/// ids are grouped): see [`super::traffic`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// `GET Patient/{id}` with a member token.
    PatientRead,
    /// `GET Coverage?patient={id}`.
    CoverageSearch,
    /// `GET ExplanationOfBenefit?patient={id}`.
    EobSearch,
    /// `GET Patient/{id}/$everything` and every `next` page.
    Everything,
    /// A provider-directory search with the client-credentials token.
    DirectorySearch,
    /// `POST token` with `grant_type=refresh_token`.
    TokenRefresh,
    /// An unauthenticated `GET` of `path` (a trivial endpoint, for measuring the generator).
    Get,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::PatientRead => "patient-read",
            Kind::CoverageSearch => "coverage-search",
            Kind::EobSearch => "eob-search",
            Kind::Everything => "everything",
            Kind::DirectorySearch => "directory-search",
            Kind::TokenRefresh => "token-refresh",
            Kind::Get => "get",
        }
    }

    /// Whether the kind needs member tokens / the directory token.
    pub fn needs_members(self) -> bool {
        matches!(
            self,
            Kind::PatientRead
                | Kind::CoverageSearch
                | Kind::EobSearch
                | Kind::Everything
                | Kind::TokenRefresh
        )
    }
}

impl LoadProfile {
    /// A built-in profile by name, or a TOML file by path.
    pub fn load(name_or_path: &str) -> Result<LoadProfile, LoadError> {
        let (origin, text) = match BUILTIN.iter().find(|(n, _)| *n == name_or_path) {
            Some((n, text)) => (format!("scenarios/load/{n}.toml"), text.to_string()),
            None if name_or_path.ends_with(".toml") => {
                let text = std::fs::read_to_string(name_or_path)
                    .map_err(|e| format!("cannot read {name_or_path}: {e}"))?;
                (name_or_path.to_string(), text)
            }
            None => {
                let known: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
                return Err(format!(
                    "no load profile {name_or_path:?}: built-in profiles are {} (or give a path \
                     ending in .toml)",
                    known.join(", ")
                )
                .into());
            }
        };
        let profile: LoadProfile = toml::from_str(&text).map_err(|e| format!("{origin}: {e}"))?;
        profile.validate().map_err(|e| format!("{origin}: {e}"))?;
        Ok(profile)
    }

    /// The names and descriptions of the built-in profiles.
    pub fn builtin() -> Vec<LoadProfile> {
        BUILTIN
            .iter()
            .filter_map(|(n, _)| LoadProfile::load(n).ok())
            .collect()
    }

    fn validate(&self) -> Result<(), LoadError> {
        if self.transactions.is_empty() {
            return Err("a profile needs at least one [[transaction]]".into());
        }
        if self.transactions.iter().all(|t| t.weight == 0) {
            return Err("every transaction has weight 0".into());
        }
        for t in &self.transactions {
            match t.kind {
                Kind::Get if t.path.is_none() => {
                    return Err("a `get` transaction needs `path`".into());
                }
                Kind::DirectorySearch if t.types.is_empty() => {
                    return Err("a `directory-search` transaction needs `types`".into());
                }
                _ => {}
            }
        }
        parse_duration(&self.run.duration)?;
        Ok(())
    }

    /// Whether any transaction (or the login rate) needs member tokens.
    pub fn needs_members(&self) -> bool {
        self.run.login_rate > 0.0
            || self
                .transactions
                .iter()
                .any(|t| t.weight > 0 && t.kind.needs_members())
    }

    /// Whether any transaction needs the provider-directory token.
    pub fn needs_directory(&self) -> bool {
        self.transactions
            .iter()
            .any(|t| t.weight > 0 && t.kind == Kind::DirectorySearch)
    }
}

/// `"500ms"`, `"30s"`, `"2m"`, `"1h"`, or a plain number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, LoadError> {
    let t = text.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("bad duration {text:?}: expected e.g. 30s, 2m, 500ms"))?;
    let secs = match unit.trim() {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        other => {
            return Err(format!("bad duration unit {other:?} in {text:?} (ms, s, m, h)").into());
        }
    };
    if !secs.is_finite() || secs <= 0.0 || secs > 7.0 * 24.0 * 3600.0 {
        return Err(format!("duration {text:?} must be above 0 and at most a week").into());
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_profile_loads() {
        for (name, _) in BUILTIN {
            let p = LoadProfile::load(name).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(p.name, name);
        }
        assert_eq!(LoadProfile::builtin().len(), BUILTIN.len());
    }

    #[test]
    fn an_unknown_profile_names_the_known_ones() {
        let e = LoadProfile::load("nope").unwrap_err();
        let e = e.to_string();
        assert!(e.contains("member-mix") && e.contains("healthz"), "{e}");
    }

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("5").unwrap(), Duration::from_secs(5));
        for bad in ["", "0s", "-1s", "5x", "s", "1e400"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_profile_without_transactions_is_refused() {
        let text = "name = \"x\"\ndescription = \"y\"\ntransaction = []\n";
        let p: LoadProfile = toml::from_str(text).unwrap();
        assert!(p.validate().is_err());
    }
}
