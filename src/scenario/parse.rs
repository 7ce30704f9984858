//! Reads scenario and flow files into the model. Each step is read on its own, so an error
//! names the file, the line of the step's table, the case and the step; a step has exactly
//! one kind key (`request`, `login`, `consent`, `walk`, `jwt`, `wait`) and only that kind's
//! fields. A file in the old format (`get = ...`, `expect = ...`) is refused with the field
//! named, never skipped.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::model::{
    Action, Capture, Case, Consent, Decision, Jwt, Login, MAX_WAIT_MS, Scenario, Step, Wait, Walk,
};
use crate::check::{Check, SyntaxError};

/// Why a scenario or flow file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    /// The file, as named by the caller (`scenarios/refresh.toml`).
    pub origin: String,
    /// The line of the table in error, when known.
    pub line: Option<usize>,
    /// Where in the file: `case "x", step 2 (login)`.
    pub place: String,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.origin)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if !self.place.is_empty() {
            write!(f, ": {}", self.place)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Named step sequences shared by scenarios (`scenarios/flows.toml`): a step
/// `flow = "member-token"` stands for that flow's steps.
#[derive(Debug, Clone, Default)]
pub struct Flows {
    pub flows: Vec<Flow>,
}

/// A named step sequence, e.g. the member login and code exchange.
#[derive(Debug, Clone)]
pub struct Flow {
    pub name: String,
    pub description: String,
    pub steps: Vec<Step>,
}

/// A file being read: its name and text, for errors that point at a line.
struct Source<'a> {
    origin: &'a str,
    text: &'a str,
}

impl Source<'_> {
    fn error(&self, line: Option<usize>, place: String, message: impl fmt::Display) -> ParseError {
        ParseError {
            origin: self.origin.to_string(),
            line,
            place,
            message: message.to_string(),
        }
    }

    /// The whole file as a table (TOML syntax errors carry their line).
    fn table(&self) -> Result<Map<String, Value>, ParseError> {
        let table: toml::Table = toml::from_str(self.text)
            .map_err(|e| self.error(None, String::new(), e.to_string()))?;
        match serde_json::to_value(table) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(self.error(None, String::new(), "not a table of values")),
        }
    }

    /// The line of the `step`-th `[[<outer>.step]]` header after the `outer_index`-th
    /// `[[<outer>]]` header (both 0-based), when the file is written with headers.
    fn step_line(&self, outer: &str, outer_index: usize, step: Option<usize>) -> Option<usize> {
        let outer_header = format!("[[{outer}]]");
        let step_header = format!("[[{outer}.step]]");
        let lines: Vec<&str> = self.text.lines().map(str::trim).collect();
        let start = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| **l == outer_header)
            .nth(outer_index)?
            .0;
        let Some(step) = step else {
            return Some(start + 1);
        };
        let found = lines[start + 1..]
            .iter()
            .enumerate()
            .take_while(|(_, l)| **l != outer_header)
            .filter(|(_, l)| **l == step_header)
            .nth(step)?
            .0;
        Some(start + 2 + found)
    }
}

impl Flows {
    /// Parses a flows file; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Flows, ParseError> {
        let src = Source { origin, text };
        let mut table = src.table()?;
        let mut flows = Vec::new();
        for (fi, flow) in take_list(&mut table, "flow").into_iter().enumerate() {
            let at = |step: Option<usize>, place: String, message: SyntaxError| {
                src.error(src.step_line("flow", fi, step), place, message)
            };
            let Value::Object(mut flow) = flow else {
                return Err(at(None, format!("flow {}", fi + 1), "not a table".into()));
            };
            let texts = (
                take_text(&mut flow, "name"),
                take_text(&mut flow, "description"),
            );
            let place = format!("flow {}", fi + 1);
            let (name, description) = match texts {
                (Ok(n), Ok(d)) => (n.unwrap_or_default(), d.unwrap_or_default()),
                (Err(e), _) | (_, Err(e)) => return Err(at(None, place, e)),
            };
            let place = format!("flow \"{name}\"");
            let mut steps = Vec::new();
            for (si, step) in take_list(&mut flow, "step").into_iter().enumerate() {
                let step_place = format!("{place}, step {}", si + 1);
                if matches!(&step, Value::Object(t) if t.contains_key("flow")) {
                    return Err(at(Some(si), step_place, "a flow cannot use a flow".into()));
                }
                steps.push(step_from(step).map_err(|e| at(Some(si), step_place, e))?);
            }
            no_more(&flow).map_err(|e| at(None, place.clone(), e))?;
            if name.is_empty() || steps.is_empty() {
                return Err(at(None, place, "a flow needs a name and steps".into()));
            }
            flows.push(Flow {
                name,
                description,
                steps,
            });
        }
        no_more(&table).map_err(|e| src.error(None, String::new(), e))?;
        Ok(Flows { flows })
    }

    /// The flows shipped with smartcheck.
    pub fn builtin() -> Result<Flows, ParseError> {
        Flows::parse(
            include_str!("../../scenarios/flows.toml"),
            "scenarios/flows.toml",
        )
    }

    fn get(&self, name: &str) -> Option<&Flow> {
        self.flows.iter().find(|f| f.name == name)
    }
}

impl Scenario {
    /// Parses a scenario file that uses no flow; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Scenario, ParseError> {
        Scenario::parse_with(text, origin, &Flows::default())
    }

    /// Parses a scenario file, replacing `flow` steps by the flows' steps.
    pub fn parse_with(text: &str, origin: &str, flows: &Flows) -> Result<Scenario, ParseError> {
        let src = Source { origin, text };
        let mut table = src.table()?;
        let top = |e: SyntaxError| src.error(None, String::new(), e);
        let mut text = |key: &str| take_text(&mut table, key).map_err(top);
        let family = text("family")?.ok_or_else(|| top("needs `family`".into()))?;
        let name = text("name")?.ok_or_else(|| top("needs `name`".into()))?;
        let description = text("description")?.unwrap_or_default();
        let mut cases = Vec::new();
        for (ci, case) in take_list(&mut table, "case").into_iter().enumerate() {
            cases.push(case_from(&src, ci, case, flows)?);
        }
        no_more(&table).map_err(top)?;
        if cases.is_empty() {
            return Err(top("a scenario needs at least one case".into()));
        }
        Ok(Scenario {
            family,
            name,
            description,
            cases,
        })
    }
}

fn case_from(src: &Source, ci: usize, case: Value, flows: &Flows) -> Result<Case, ParseError> {
    let at = |step: Option<usize>, place: String, message: SyntaxError| {
        src.error(src.step_line("case", ci, step), place, message)
    };
    let Value::Object(mut case) = case else {
        return Err(at(None, format!("case {}", ci + 1), "not a table".into()));
    };
    let name = take_text(&mut case, "name")
        .map_err(|e| at(None, format!("case {}", ci + 1), e))?
        .unwrap_or_default();
    if name.is_empty() {
        return Err(at(
            None,
            format!("case {}", ci + 1),
            "a case needs `name`".into(),
        ));
    }
    let place = format!("case \"{name}\"");
    let variants = take_as(&mut case, "variants").map_err(|e| at(None, place.clone(), e))?;
    let requires = take_as(&mut case, "requires").map_err(|e| at(None, place.clone(), e))?;
    let exclusive = take_as(&mut case, "exclusive").map_err(|e| at(None, place.clone(), e))?;
    let mut steps = Vec::new();
    for (si, step) in take_list(&mut case, "step").into_iter().enumerate() {
        let step_place = format!("{place}, step {}", si + 1);
        let fail = |e: SyntaxError| at(Some(si), step_place.clone(), e);
        let flow_name = match &step {
            Value::Object(t) => t.get("flow").cloned(),
            _ => None,
        };
        match flow_name {
            Some(Value::String(flow)) => {
                if step.as_object().is_some_and(|t| t.len() > 1) {
                    return Err(fail("a `flow` step has no other field".into()));
                }
                let flow = flows
                    .get(&flow)
                    .ok_or_else(|| fail(format!("unknown flow `{flow}`").into()))?;
                steps.extend(flow.steps.iter().cloned());
            }
            Some(_) => return Err(fail("`flow` names a flow".into())),
            None => steps.push(step_from(step).map_err(fail)?),
        }
    }
    no_more(&case).map_err(|e| at(None, place.clone(), e))?;
    if steps.is_empty() {
        return Err(at(None, place, "a case needs at least one step".into()));
    }
    Ok(Case {
        name,
        variants: variants.unwrap_or_default(),
        requires: requires.unwrap_or_default(),
        exclusive: exclusive.unwrap_or(false),
        steps,
    })
}

/// Old step keys and what replaced them.
const OLD_STEP_KEYS: [(&str, &str); 6] = [
    ("get", "request = \"GET <url>\""),
    ("post", "request = \"POST <url>\""),
    ("put", "request = \"PUT <url>\""),
    ("delete", "request = \"DELETE <url>\""),
    ("id_token", "jwt = \"<token>\" with jwks = \"<url>\""),
    ("deny_consent", "decision = \"deny\" on the login step"),
];

/// One step (not a flow reference) from its table.
pub fn step_from(value: Value) -> Result<Step, SyntaxError> {
    let Value::Object(mut table) = value else {
        return Err("a step is a table".into());
    };
    for (old, new) in OLD_STEP_KEYS {
        if table.contains_key(old) {
            return Err(format!(
                "`{old}` is the old step format: write {new} (scenarios/README.md)"
            )
            .into());
        }
    }
    let id = take_text(&mut table, "id")?;
    let session = take_text(&mut table, "session")?;
    let when = crate::check::conditions_from(table.remove("when"))?;
    let captures = match table.remove("capture") {
        None => BTreeMap::new(),
        Some(Value::Object(map)) => map
            .into_iter()
            .map(|(name, q)| Ok((name.clone(), capture_from(&name, q)?)))
            .collect::<Result<_, SyntaxError>>()?,
        Some(_) => return Err("`capture` is a table of name = \"query\"".into()),
    };
    let checks = take_list(&mut table, "check")
        .into_iter()
        .enumerate()
        .map(|(i, c)| Check::from_json(c).map_err(|e| format!("check {}: {e}", i + 1)))
        .collect::<Result<Vec<_>, _>>()?;
    let kinds: Vec<&str> = Action::KINDS
        .into_iter()
        .filter(|k| table.contains_key(*k))
        .collect();
    let action = match kinds.as_slice() {
        [kind] => action_from(kind, table)?,
        [] => {
            return Err(format!(
                "a step needs one of {} (or `flow`)",
                Action::KINDS.join(", ")
            )
            .into());
        }
        many => return Err(format!("one kind per step, not {}", many.join(" and ")).into()),
    };
    Ok(Step {
        id,
        session,
        action,
        captures,
        checks,
        when,
    })
}

/// The action of a step whose kind key is `kind`; only that kind's fields are allowed.
fn action_from(kind: &str, table: Map<String, Value>) -> Result<Action, SyntaxError> {
    if kind == "login" && matches!(table.get("login"), Some(Value::Bool(_))) {
        return Err(
            "`login = true` is the old step format: write login = \"<authorize URL>\" \
             (scenarios/README.md)"
                .into(),
        );
    }
    if kind == "walk" && matches!(table.get("walk"), Some(Value::Bool(_))) {
        return Err(
            "`walk = true` is the old step format: write walk = \"<url>\" (scenarios/README.md)"
                .into(),
        );
    }
    let value = Value::Object(table);
    let action = match kind {
        "request" => Action::Request(typed(value)?),
        "login" => Action::Login(typed(value)?),
        "consent" => Action::Consent(typed(value)?),
        "walk" => Action::Walk(typed(value)?),
        "jwt" => Action::Jwt(typed::<Jwt>(value)?),
        _ => Action::Wait(typed(value)?),
    };
    validate(&action).map_err(|e| format!("{kind} step: {e}"))?;
    Ok(action)
}

/// The rules a kind's fields must follow beyond their types.
pub fn validate(action: &Action) -> Result<(), SyntaxError> {
    match action {
        Action::Request(r) => {
            r.target()?;
            let bodies = [!r.form.is_empty(), r.json.is_some(), r.body.is_some()];
            if bodies.iter().filter(|b| **b).count() > 1 {
                return Err("one body per request: `form`, `json` or `body`".into());
            }
            if r.content_type.is_some() && r.body.is_none() {
                return Err("`content_type` goes with `body`".into());
            }
            if r.client_auth.is_some() && r.client.is_none() {
                return Err("`client_auth` goes with `client`".into());
            }
            if r.assertion.is_some() && r.client_auth.is_none() {
                return Err("`assertion` goes with `client_auth` (private_key_jwt)".into());
            }
            if r.client.is_some() && r.basic.is_some() {
                return Err("one of `client` and `basic`".into());
            }
            Ok(())
        }
        Action::Consent(Consent {
            consent: Decision::Later,
        }) => Err("a consent step approves or denies".into()),
        Action::Wait(Wait { wait }) if *wait > MAX_WAIT_MS => {
            Err(format!("`wait` is at most {MAX_WAIT_MS} ms").into())
        }
        Action::Walk(Walk { max_pages: 0, .. }) => Err("`max_pages` is at least 1".into()),
        Action::Login(Login { .. }) | Action::Consent(_) | Action::Walk(_) => Ok(()),
        Action::Jwt(_) | Action::Wait(_) => Ok(()),
    }
}

fn typed<T: DeserializeOwned>(value: Value) -> Result<T, SyntaxError> {
    serde_json::from_value(value).map_err(|e| SyntaxError(e.to_string()))
}

fn capture_from(name: &str, query: Value) -> Result<Capture, SyntaxError> {
    let Value::String(text) = query else {
        return Err(format!("capture `{name}`: a query text").into());
    };
    if text.starts_with("json:") || text.starts_with("location:") {
        return Err(format!(
            "capture `{name}`: `{text}` is the old capture format: write a query such as \
             `json /access_token` or `location_param code` (scenarios/README.md)"
        )
        .into());
    }
    let (text, optional) = match text.trim_end().strip_suffix('?') {
        Some(t) => (t, true),
        None => (text.as_str(), false),
    };
    let query = text.parse().map_err(|e| format!("capture `{name}`: {e}"))?;
    Ok(Capture { query, optional })
}

fn take_text(table: &mut Map<String, Value>, key: &str) -> Result<Option<String>, SyntaxError> {
    match table.remove(key) {
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(format!("`{key}` is a text, not {other}").into()),
        None => Ok(None),
    }
}

fn take_list(table: &mut Map<String, Value>, key: &str) -> Vec<Value> {
    match table.remove(key) {
        Some(Value::Array(items)) => items,
        Some(other) => vec![other],
        None => Vec::new(),
    }
}

fn take_as<T: DeserializeOwned>(
    table: &mut Map<String, Value>,
    key: &str,
) -> Result<Option<T>, SyntaxError> {
    table
        .remove(key)
        .map(|v| serde_json::from_value(v).map_err(|e| SyntaxError(format!("`{key}`: {e}"))))
        .transpose()
}

/// An error naming the first key nobody read.
fn no_more(table: &Map<String, Value>) -> Result<(), SyntaxError> {
    match table.keys().next() {
        None => Ok(()),
        Some(k) => Err(format!("unknown field `{k}`").into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "family = \"f\"\nname = \"n\"\n[[case]]\nname = \"c\"\n";

    fn parse(steps: &str) -> Result<Scenario, ParseError> {
        Scenario::parse(&format!("{HEAD}{steps}"), "x.toml")
    }

    #[test]
    fn each_kind_of_step_parses() {
        let s = parse(
            "[[case.step]]\nrequest = \"POST {token}\"\nform = { a = \"b\" }\nbasic = [\"u\", \"p\"]\n\
             capture = { t = \"json /access_token\", r = \"json /refresh_token?\" }\n\
             [[case.step.check]]\nrequirement = \"R\"\nquery = \"status\"\nequals = 200\n\
             [[case.step]]\nlogin = \"{authorize}\"\ndecision = \"later\"\n\
             [[case.step]]\nconsent = \"deny\"\nsession = \"b\"\n\
             [[case.step]]\nwalk = \"{u}\"\nmax_pages = 3\n\
             [[case.step]]\njwt = \"{id_token}\"\njwks = \"{jwks}\"\nid = \"tok\"\n\
             [[case.step]]\nwait = 10\n",
        )
        .unwrap();
        let kinds: Vec<&str> = s.cases[0].steps.iter().map(|s| s.action.kind()).collect();
        assert_eq!(
            kinds,
            ["request", "login", "consent", "walk", "jwt", "wait"]
        );
        let first = &s.cases[0].steps[0];
        assert!(first.captures["r"].optional && !first.captures["t"].optional);
        assert_eq!(first.checks.len(), 1);
        assert_eq!(s.cases[0].steps[2].to_string(), "consent deny [session b]");
    }

    /// Every malformed step is refused, naming the file, the line, the case and the step.
    #[test]
    fn malformed_steps_are_refused_with_their_place() {
        for (step, says) in [
            (
                "request = \"GET u\"\nlogin = \"u\"",
                "one kind per step, not request and login",
            ),
            ("bearer = \"x\"", "a step needs one of request"),
            ("request = \"FETCH u\"", "unknown method `FETCH`"),
            ("request = \"u\"", "`request` is \"METHOD URL\""),
            (
                "request = \"GET u\"\nmax_pages = 3",
                "unknown field `max_pages`",
            ),
            (
                "login = \"u\"\nform = { a = \"b\" }",
                "unknown field `form`",
            ),
            (
                "request = \"POST u\"\nform = { a = \"b\" }\nbody = \"x\"",
                "one body per request",
            ),
            ("consent = \"later\"", "a consent step approves or denies"),
            (
                "request = \"POST u\"\nclient_auth = \"client_secret_post\"",
                "`client_auth` goes with `client`",
            ),
            (
                "request = \"POST u\"\nclient = [\"a\", \"b\"]\nbasic = [\"a\", \"b\"]",
                "one of `client` and `basic`",
            ),
            ("wait = 3600000", "at most 60000 ms"),
            (
                "request = \"GET u\"\ncapture = { a = \"json: /x\" }",
                "old capture format",
            ),
            (
                "request = \"GET u\"\ncapture = { a = \"jsn /x\" }",
                "unknown query `jsn`",
            ),
            ("get = \"u\"", "`get` is the old step format"),
            ("request = \"GET u\"\nlogin = true", "one kind per step"),
            (
                "login = true\nquery = {}",
                "`login = true` is the old step format",
            ),
            ("walk = true", "`walk = true` is the old step format"),
            (
                "request = \"GET u\"\n[[case.step.check]]\nrequirement = \"R\"\nexpect = \"status\"\nvalue = 200",
                "check 1: `expect` is the old check format",
            ),
        ] {
            let text = format!("[[case.step]]\nrequest = \"GET first\"\n[[case.step]]\n{step}\n");
            let err = parse(&text).unwrap_err();
            let shown = err.to_string();
            assert!(shown.contains(says), "{shown} lacks {says}");
            assert!(
                shown.starts_with("x.toml:7: case \"c\", step 2: "),
                "{shown}"
            );
        }
    }

    #[test]
    fn flows_expand_and_unknown_ones_are_refused() {
        let flows = Flows::parse(
            "[[flow]]\nname = \"t\"\n[[flow.step]]\nrequest = \"GET a\"\n[[flow.step]]\nrequest = \"GET b\"\n",
            "flows.toml",
        )
        .unwrap();
        let text =
            format!("{HEAD}[[case.step]]\nflow = \"t\"\n[[case.step]]\nrequest = \"GET c\"\n");
        let s = Scenario::parse_with(&text, "x.toml", &flows).unwrap();
        assert_eq!(s.cases[0].steps.len(), 3);
        let bad = format!("{HEAD}[[case.step]]\nflow = \"nope\"\n");
        let err = Scenario::parse_with(&bad, "x.toml", &flows).unwrap_err();
        assert!(err.to_string().contains("unknown flow `nope`"), "{err}");
        let nested = "[[flow]]\nname = \"t\"\n[[flow.step]]\nflow = \"t\"\n";
        assert!(Flows::parse(nested, "f.toml").is_err());
    }

    /// Every TOML example of scenarios/README.md is in the current format and parses.
    #[test]
    fn the_readme_examples_parse() {
        let readme = include_str!("../../scenarios/README.md");
        let mut blocks = 0;
        for block in readme.split("```toml").skip(1) {
            let body = block.split("```").next().unwrap_or_default();
            let body: String = body
                .lines()
                .map(|l| format!("{}\n", l.trim_start()))
                .collect();
            let body = body.trim_start();
            let text = if body.starts_with("family") {
                body.to_string()
            } else if body.starts_with("[[case]]") {
                format!("family = \"f\"\nname = \"n\"\n{body}")
            } else if body.starts_with("[[case.step]]") {
                format!("{HEAD}{body}")
            } else {
                format!("{HEAD}[[case.step]]\nrequest = \"GET u\"\n{body}")
            };
            Scenario::parse(&text, "scenarios/README.md").unwrap_or_else(|e| panic!("{e}\n{text}"));
            blocks += 1;
        }
        assert!(blocks >= 5, "{blocks} examples");
    }

    #[test]
    fn file_level_errors_name_the_file_and_the_line() {
        let err = Scenario::parse("family = \"x\"\nname = 3\n", "scenarios/x.toml").unwrap_err();
        let shown = err.to_string();
        assert!(shown.starts_with("scenarios/x.toml"), "{shown}");
        let syntax = Scenario::parse("family = \n", "scenarios/x.toml").unwrap_err();
        assert!(syntax.to_string().contains("line 1"), "{syntax}");
        let extra = format!("{HEAD}[[case.step]]\nrequest = \"GET u\"\n");
        assert!(Scenario::parse(&format!("typo = 1\n{extra}"), "x").is_err());
    }
}
