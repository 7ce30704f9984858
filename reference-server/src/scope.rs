//! The scope policy (seed 002 "Authorization code flow", "Client credentials flow",
//! "Scope overview"): a token carries exactly its plan's scopes, nothing else.

use crate::faults::{Fault, FaultSwitches};
use crate::registry::Plan;

/// Why a requested scope set was refused (`invalid_scope`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeError {
    /// No scope parameter at all. Choice: required (seed 002 lists the scopes to include;
    /// RFC 6749 3.3 lets a server refuse a request without one).
    Missing,
    /// A scope token with characters RFC 6749 3.3 does not allow.
    Malformed,
    /// A scope outside the plan, with the class it belongs to.
    Forbidden { scope: String, class: &'static str },
    /// A scope the plan requires is absent.
    RequiredMissing(String),
}

impl std::fmt::Display for ScopeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScopeError::Missing => write!(f, "the scope parameter is required"),
            ScopeError::Malformed => {
                write!(f, "the scope parameter has characters RFC 6749 3.3 forbids")
            }
            ScopeError::Forbidden { scope, class } => {
                write!(f, "scope `{scope}` is not supported ({class})")
            }
            ScopeError::RequiredMissing(s) => write!(f, "required scope `{s}` is missing"),
        }
    }
}

/// Splits a scope string on spaces (RFC 6749 3.3: space-delimited, case-sensitive),
/// ignoring repeated spaces and duplicates.
pub fn parse(raw: &str) -> Result<Vec<String>, ScopeError> {
    let mut out: Vec<String> = Vec::new();
    for token in raw.split(' ').filter(|t| !t.is_empty()) {
        // scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
        if !token
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
        {
            return Err(ScopeError::Malformed);
        }
        if !out.iter().any(|s| s == token) {
            out.push(token.to_string());
        }
    }
    if out.is_empty() {
        return Err(ScopeError::Missing);
    }
    Ok(out)
}

/// Names the class of an unsupported scope, for the error description and the reports.
pub fn classify(scope: &str) -> &'static str {
    match scope {
        "launch" => "EHR launch context is not supported",
        "offline_access" | "online_access" => "offline/online access scopes are not supported",
        s if s.starts_with("user/") => "user-level scopes are not supported",
        s if s.starts_with("system/") => {
            "system-level scopes belong to the Provider Directory plan"
        }
        s if s.starts_with("patient/") => {
            let (resource, perms) = s["patient/".len()..].split_once('.').unwrap_or((s, ""));
            if resource != "*" {
                "resource-specific scopes are not supported"
            } else if perms == "read" || perms == "write" || perms == "*" {
                "SMART v1 or wildcard permissions are not supported"
            } else {
                "only the rs permissions are supported"
            }
        }
        s if s.starts_with("launch/") => "only the launch/patient context is supported",
        _ => "not a scope of this plan",
    }
}

/// The scopes granted for `requested` under `plan`: every plan scope must be requested and
/// nothing outside the plan (except its tolerated scopes, which are dropped) may be.
pub fn grant(requested: &[String], plan: &Plan) -> Result<Vec<String>, ScopeError> {
    for s in requested {
        if !plan.scopes.contains(s) && !plan.tolerated_scopes.contains(s) {
            return Err(ScopeError::Forbidden {
                scope: s.clone(),
                class: classify(s),
            });
        }
    }
    if let Some(missing) = plan.scopes.iter().find(|s| !requested.contains(s)) {
        return Err(ScopeError::RequiredMissing(missing.clone()));
    }
    Ok(plan.scopes.clone())
}

/// [`grant`] as the authorization endpoint applies it, with the scope faults switched on in
/// `faults`: each reads a forbidden scope as one the plan allows, the way lenient servers do.
pub fn grant_with(
    requested: &[String],
    plan: &Plan,
    faults: &FaultSwitches,
) -> Result<Vec<String>, ScopeError> {
    let read_as: Vec<String> = requested
        .iter()
        .filter_map(|s| lenient(s, faults))
        .collect();
    let mut granted = grant(&read_as, plan)?;
    if faults.on(Fault::ScopeSystemOnPatientAppAccepted) {
        // Fault: a system scope checked against every scope the server supports, not the
        // app's plan, and granted with the rest.
        granted.extend(
            requested
                .iter()
                .filter(|s| s.starts_with("system/"))
                .cloned(),
        );
    }
    if faults.on(Fault::ScopeSilentlyWidened) && !granted.iter().any(|s| s == "patient/*.cruds") {
        // Fault: the app's scope is "upgraded" to full access to the member's record.
        granted.push("patient/*.cruds".to_string());
    }
    Ok(granted)
}

/// What a server with the scope faults in `faults` reads `scope` as (`None`: dropped).
fn lenient(scope: &str, faults: &FaultSwitches) -> Option<String> {
    if faults.on(Fault::ScopeCaseInsensitive) {
        // Fault: scopes matched ignoring case (RFC 6749 3.3 makes them case-sensitive), so
        // `Patient/*.rs` is read as `patient/*.rs`. (fhirUser keeps its documented case.)
        let lower = scope.to_ascii_lowercase();
        let folded = if lower == "fhiruser" {
            "fhirUser"
        } else {
            &lower
        };
        if folded != scope {
            return lenient(folded, faults);
        }
    }
    if let Some(rest) = scope.strip_prefix("user/")
        && faults.on(Fault::ScopeUserLevelAccepted)
    {
        // Fault: user-level scopes taken for patient-level ones.
        return lenient(&format!("patient/{rest}"), faults);
    }
    if scope.starts_with("system/") && faults.on(Fault::ScopeSystemOnPatientAppAccepted) {
        // Fault: kept out of the plan's check (grant_with adds it to the grant).
        return None;
    }
    if let Some((resource, perms)) = scope
        .strip_prefix("patient/")
        .and_then(|r| r.split_once('.'))
    {
        if resource != "*" && faults.on(Fault::ScopeResourceSpecificAccepted) {
            // Fault: a resource-specific scope counted as "within" the wildcard.
            return lenient(&format!("patient/*.{perms}"), faults);
        }
        let covers_rs = perms == "*"
            || (perms.contains('r')
                && perms.contains('s')
                && perms.chars().all(|c| "cruds".contains(c)));
        if perms != "rs" && covers_rs && faults.on(Fault::ScopeWriteAccepted) {
            // Fault: the permissions checked to include read and search, not to be exactly rs.
            return Some("patient/*.rs".to_string());
        }
    }
    Some(scope.to_string())
}

/// The scopes of a refresh: a subset of the original grant, never wider (RFC 6749 6).
pub fn narrow(requested: &[String], original: &[String]) -> Result<Vec<String>, ScopeError> {
    match requested.iter().find(|s| !original.contains(s)) {
        Some(s) => Err(ScopeError::Forbidden {
            scope: s.clone(),
            class: "a refresh may not widen the original grant",
        }),
        None => Ok(requested.to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{Api, GrantType};
    use proptest::prelude::*;

    fn patient_plan() -> Plan {
        Plan {
            id: "patient-access".into(),
            name: "PA".into(),
            api: Api::PatientAccess,
            grant_type: GrantType::AuthorizationCode,
            scopes: ["openid", "fhirUser", "launch/patient", "patient/*.rs"]
                .map(String::from)
                .to_vec(),
            tolerated_scopes: vec![],
        }
    }

    fn req(s: &str) -> Vec<String> {
        parse(s).unwrap()
    }

    #[test]
    fn exactly_the_four_scopes_in_any_order_are_granted() {
        let plan = patient_plan();
        assert!(grant(&req("patient/*.rs launch/patient fhirUser openid"), &plan).is_ok());
        assert!(
            grant(
                &req("openid  fhirUser launch/patient patient/*.rs openid"),
                &plan
            )
            .is_ok()
        );
    }

    #[test]
    fn every_forbidden_class_is_refused() {
        let plan = patient_plan();
        let base = "openid fhirUser launch/patient patient/*.rs";
        for extra in [
            "patient/Patient.rs",
            "patient/*.*",
            "patient/*.cruds",
            "patient/*.read",
            "user/*.rs",
            "system/*.rs",
            "launch",
            "offline_access",
        ] {
            let err = grant(&req(&format!("{base} {extra}")), &plan).unwrap_err();
            assert!(
                matches!(err, ScopeError::Forbidden { .. }),
                "{extra}: {err}"
            );
        }
        assert_eq!(
            grant(&req("openid fhirUser patient/*.rs"), &plan).unwrap_err(),
            ScopeError::RequiredMissing("launch/patient".into())
        );
        assert_eq!(parse("   ").unwrap_err(), ScopeError::Missing);
        assert_eq!(parse("openid \"x\"").unwrap_err(), ScopeError::Malformed);
    }

    #[test]
    fn each_scope_fault_lets_its_own_class_through() {
        let plan = patient_plan();
        let base = "openid fhirUser launch/patient";
        for (fault, scope) in [
            (Fault::ScopeResourceSpecificAccepted, "patient/Patient.rs"),
            (Fault::ScopeWriteAccepted, "patient/*.cruds"),
            (Fault::ScopeWriteAccepted, "patient/*.*"),
            (Fault::ScopeUserLevelAccepted, "user/*.rs"),
            (
                Fault::ScopeSystemOnPatientAppAccepted,
                "patient/*.rs system/*.rs",
            ),
        ] {
            let requested = req(&format!("{base} {scope}"));
            let clean = FaultSwitches::default();
            assert!(grant_with(&requested, &plan, &clean).is_err(), "{scope}");
            let faults = FaultSwitches::with(&[fault]);
            assert!(grant_with(&requested, &plan, &faults).is_ok(), "{fault:?}");
            let v1 = req(&format!("{base} patient/*.read"));
            assert!(grant_with(&v1, &plan, &faults).is_err(), "{fault:?}");
        }
        let faults = FaultSwitches::with(&[Fault::ScopeSilentlyWidened]);
        let granted = grant_with(&req(&format!("{base} patient/*.rs")), &plan, &faults).unwrap();
        assert!(granted.contains(&"patient/*.cruds".to_string()));
    }

    #[test]
    fn refresh_never_widens() {
        let orig = req("openid patient/*.rs");
        assert!(narrow(&req("patient/*.rs"), &orig).is_ok());
        assert!(narrow(&req("patient/*.rs user/*.rs"), &orig).is_err());
    }

    proptest! {
        #[test]
        fn parse_never_panics_and_grant_is_exact(raw in "\\PC{0,80}") {
            if let Ok(scopes) = parse(&raw) {
                let plan = patient_plan();
                if let Ok(granted) = grant(&scopes, &plan) {
                    // Granted only when the request is exactly the plan's set.
                    let mut a = scopes.clone(); a.sort();
                    let mut b = granted.clone(); b.sort();
                    prop_assert_eq!(a, b);
                }
            }
        }

        #[test]
        fn any_extra_token_is_refused(extra in "[!#-\\[\\]-~]{1,20}") {
            let plan = patient_plan();
            prop_assume!(!plan.scopes.contains(&extra));
            let scopes = req(&format!("openid fhirUser launch/patient patient/*.rs {extra}"));
            prop_assert!(grant(&scopes, &plan).is_err());
        }
    }
}
