//! Legitimate alternatives pass: a server that made another choice the seeds and RFCs allow
//! is judged on the built-in checks themselves, step by step, with no server at all.

use smartcheck::scenario::builtin;

/// The checks of each step of the built-in case `case`.
fn steps_of(case: &str) -> Vec<Vec<smartcheck::check::Check>> {
    let scenarios = builtin().unwrap();
    let case = scenarios
        .iter()
        .flat_map(|s| &s.cases)
        .find(|c| c.name == case)
        .unwrap_or_else(|| panic!("no case {case}"));
    case.steps.iter().map(|s| s.checks.clone()).collect()
}

/// The checks of `case`'s step `step` (from 1) in the built-in suite.
fn checks_of(case: &str, step: usize) -> Vec<smartcheck::check::Check> {
    steps_of(case).swap_remove(step - 1)
}

/// Judges `checks` on `seen`: none may fail (each holds or does not apply).
fn none_fails(checks: &[smartcheck::check::Check], seen: &smartcheck::check::Observed) -> usize {
    use smartcheck::check::{NoLookup, Verdict, eval_check};
    let mut applied = 0;
    for check in checks {
        match eval_check(check, seen, &NoLookup) {
            Verdict::Fails(d) => panic!("{check} fails on a legitimate answer: {d}"),
            Verdict::Holds => applied += 1,
            Verdict::NotApplicable(_) => {}
        }
    }
    applied
}

/// A server that made the other legitimate choice passes: it refuses the seed example's extra
/// `openid fhirUser` on client credentials (RFC 6749 5.2 invalid_scope), it sends no
/// Cache-Control on an error that carries no token (RFC 6749 5.1 binds token responses), or it
/// signs its id_token without a `kid` while its JWKS holds one key (OIDC Core 10.1).
#[test]
fn legitimate_alternatives_pass() {
    use smartcheck::check::{Observed, SummaryKind};
    let json = |status: u16, body: &str| {
        Observed::response(status, Default::default(), body.as_bytes().to_vec())
    };
    let refused = json(400, r#"{"error": "invalid_scope"}"#);
    let applied = none_fails(
        &checks_of("Provider Directory token on both APIs", 1),
        &refused,
    );
    assert_eq!(applied, 4, "status, error, no patient, no refresh token");
    // ...and a subtly wrong one does not: granting the extra scopes widens the token.
    let widened = json(
        200,
        r#"{"access_token": "t", "scope": "openid fhirUser system/*.rs"}"#,
    );
    let checks = checks_of("Provider Directory token on both APIs", 1);
    let judged = checks
        .iter()
        .map(|c| smartcheck::check::eval_check(c, &widened, &smartcheck::check::NoLookup));
    assert_eq!(
        judged
            .filter(|v| matches!(v, smartcheck::check::Verdict::Fails(_)))
            .count(),
        1,
        "the granted scope is judged"
    );

    let mut bad_secret = json(401, r#"{"error": "invalid_client"}"#);
    bad_secret
        .headers
        .insert("www-authenticate", "Basic realm=\"token\"".parse().unwrap());
    let case = "bad client credentials: wrong secret";
    let checks = checks_of(case.split(':').next().unwrap(), 1);
    let no_store: Vec<_> = checks
        .into_iter()
        .filter(|c| c.requirement == "TOKEN-NO-STORE")
        .collect();
    assert_eq!(
        none_fails(&no_store, &bad_secret),
        0,
        "not applicable to an error"
    );

    let key = reference_server::keys::SigningKey::generate().unwrap();
    let pem = key.to_pkcs8_pem().unwrap();
    let encoding = jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    let token = jsonwebtoken::encode(&header, &serde_json::json!({"sub": "s"}), &encoding).unwrap();
    let summary = smartcheck::flow::id_token::inspect(&token, key.jwks(), 0);
    let seen = Observed::summary(SummaryKind::Jwt, 200, summary);
    let kid_rules: Vec<_> = checks_of("id_token of a member login", 3)
        .into_iter()
        .filter(|c| {
            let q = c.assertion.query.to_string();
            q.contains("kid") || q == "jwt signature_valid" || q == "jwt alg"
        })
        .collect();
    assert_eq!(kid_rules.len(), 3);
    assert_eq!(
        none_fails(&kid_rules, &seen),
        1,
        "only the signature applies, and holds"
    );

    // RFC 6749 5.1 and 7.1: token_type is case-insensitive; "bearer" passes, "mac" does not.
    let token_type: Vec<_> = checks_of("refresh and use the new token", 3)
        .into_iter()
        .filter(|c| c.assertion.query.to_string() == "json /token_type")
        .collect();
    assert_eq!(token_type.len(), 1);
    let lower = json(200, r#"{"token_type": "bearer"}"#);
    assert_eq!(none_fails(&token_type, &lower), 1);
    let other = json(200, r#"{"token_type": "mac"}"#);
    assert!(matches!(
        smartcheck::check::eval_check(&token_type[0], &other, &smartcheck::check::NoLookup),
        smartcheck::check::Verdict::Fails(_)
    ));

    // OIDC Discovery is optional for an OP: a 404 at openid-configuration fails only the
    // recommended OIDC-DISCOVERY-DOC; the document's MUSTs do not apply to a missing one.
    let discovery = checks_of("OpenID configuration of the id_token's issuer", 4);
    let (doc, musts): (Vec<_>, Vec<_>) = discovery
        .into_iter()
        .partition(|c| c.requirement == "OIDC-DISCOVERY-DOC");
    assert_eq!((doc.len(), musts.len()), (1, 7));
    assert_eq!(none_fails(&musts, &json(404, "not found")), 0);
}

/// The checks of `case` (any step) whose query is `query`.
fn checks_with_query(case: &str, query: &str) -> Vec<smartcheck::check::Check> {
    let checks = steps_of(case).into_iter().flatten();
    let found: Vec<_> = checks
        .filter(|c| c.assertion.query.to_string() == query)
        .collect();
    assert!(!found.is_empty(), "no check of `{query}` in {case:?}");
    found
}

/// How `check` judges `seen` with `vars` expanded in it, as the engine does: "holds", "n/a"
/// or "fails".
fn verdict(
    check: &smartcheck::check::Check,
    seen: &smartcheck::check::Observed,
    vars: &[(&str, &str)],
) -> &'static str {
    use smartcheck::check::{Check, NoLookup, Verdict};
    use smartcheck::scenario::vars::{Expansion, Vars};
    let pairs = vars.iter().map(|(n, v)| (n.to_string(), v.to_string()));
    let vars = Vars::from(pairs.collect::<Vec<_>>());
    let check = Check::from_json(vars.expand_value(&check.to_json(), Expansion::Typed)).unwrap();
    match smartcheck::check::eval_check(&check, seen, &NoLookup) {
        Verdict::Holds => "holds",
        Verdict::NotApplicable(_) => "n/a",
        Verdict::Fails(_) => "fails",
    }
}

/// The checks whose legitimate alternatives pass above also fail the near misses a subtly
/// wrong server sends: each optional member judged only when present, and wrong when it is.
#[test]
fn near_misses_fail() {
    use smartcheck::check::{Observed, SummaryKind};
    const VARS: &[(&str, &str)] = &[("client_id", "app"), ("issuer", "https://as.example")];
    let json = |status: u16, body: &str| {
        Observed::response(status, Default::default(), body.as_bytes().to_vec())
    };
    let judge = |case: &str, query: &str, seen: &Observed| -> Vec<&'static str> {
        let checks = checks_with_query(case, query);
        checks.iter().map(|c| verdict(c, seen, VARS)).collect()
    };
    let id_token = |claims: serde_json::Value| {
        let key = reference_server::keys::SigningKey::generate().unwrap();
        let pem = key.to_pkcs8_pem().unwrap();
        let encoding = jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
        let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        let token = jsonwebtoken::encode(&header, &claims, &encoding).unwrap();
        let summary = smartcheck::flow::id_token::inspect(&token, key.jwks(), 0);
        Observed::summary(SummaryKind::Jwt, 200, summary)
    };

    // OIDC Core 2: `sub` is at most 255 ASCII characters; `azp`, when present, is the client.
    let login = "id_token of a member login";
    let sub = |s: &str| {
        judge(
            login,
            "jwt_claim sub",
            &id_token(serde_json::json!({"sub": s})),
        )
    };
    assert_eq!(sub("248289761001"), ["holds"]);
    assert_eq!(sub(&"x".repeat(255)), ["holds"]);
    assert_eq!(sub(&"x".repeat(256)), ["fails"], "longer than 255");
    assert_eq!(sub("m\u{e9}mber"), ["fails"], "not ASCII");
    assert_eq!(sub(""), ["fails"], "empty");
    let azp = |claims| judge(login, "jwt_claim azp", &id_token(claims));
    assert_eq!(
        azp(serde_json::json!({"sub": "s"})),
        ["n/a"],
        "absent is allowed"
    );
    assert_eq!(
        azp(serde_json::json!({"sub": "s", "azp": "app"})),
        ["holds"]
    );
    assert_eq!(
        azp(serde_json::json!({"sub": "s", "azp": "other"})),
        ["fails"]
    );

    // RFC 7517 4.2 and 4.3: `use` is "sig" and `key_ops` holds "verify", each when present.
    let key = |member: &str| format!(r#"{{"keys": [{{"kty": "RSA", "kid": "k"{member}}}]}}"#);
    let key_use = |m: &str| judge("JWKS", "json /keys/0/use", &json(200, &key(m)));
    assert_eq!(key_use(""), ["n/a"]);
    assert_eq!(key_use(r#", "use": "sig""#), ["holds"]);
    assert_eq!(key_use(r#", "use": "enc""#), ["fails"]);
    let key_ops = |m: &str| judge("JWKS", "json /keys/0/key_ops", &json(200, &key(m)));
    assert_eq!(key_ops(""), ["n/a"]);
    assert_eq!(key_ops(r#", "key_ops": ["verify"]"#), ["holds"]);
    assert_eq!(key_ops(r#", "key_ops": ["encrypt"]"#), ["fails"]);

    // SMART Backend Services token response: token_type bearer in any case, expires_in > 0.
    let cc = "Provider Directory token on both APIs";
    let answer = |body: &str| json(200, body);
    let bearer = answer(r#"{"token_type": "BEARER", "expires_in": 300}"#);
    assert_eq!(judge(cc, "json /token_type", &bearer), ["holds"]);
    assert_eq!(judge(cc, "json /expires_in", &bearer), ["holds"]);
    let wrong = answer(r#"{"token_type": "DPoP", "expires_in": 0}"#);
    assert_eq!(judge(cc, "json /token_type", &wrong), ["fails"]);
    assert_eq!(judge(cc, "json /expires_in", &wrong), ["fails"]);
    let missing = answer(r#"{"access_token": "t"}"#);
    assert_eq!(
        judge(cc, "json /expires_in", &missing),
        ["fails"],
        "SHALL be there"
    );

    // SMART 2.0.0: the configuration is JSON whatever Accept asks for; an HTML page is not.
    let accept = "SMART configuration is JSON whatever the Accept header";
    let typed = |content_type: &str| {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("content-type", content_type.parse().unwrap());
        Observed::response(
            200,
            headers,
            br#"{"token_endpoint": "https://as/t"}"#.to_vec(),
        )
    };
    let content_type = |t: &str| judge(accept, "header content-type", &typed(t));
    assert_eq!(content_type("application/json; charset=utf-8"), ["holds"]);
    assert_eq!(content_type("text/html"), ["fails"]);
    assert_eq!(content_type("application/fhir+json"), ["fails"]);

    // FHIR R4 search: a parameter the target refuses is not judged; one it accepts must narrow.
    let walk = |v: serde_json::Value| Observed::summary(SummaryKind::Walk, 200, v);
    let nothing = "a value no resource has gives an empty searchset";
    let found = |status: u16, resources: u64| {
        judge(
            nothing,
            "walk resources",
            &walk(serde_json::json!({"first_status": status, "resources": resources})),
        )
    };
    assert_eq!(found(400, 0), ["n/a"], "refused (handling=strict)");
    assert_eq!(found(200, 0), ["holds"]);
    assert_eq!(found(200, 3), ["fails"], "accepted and ignored");
    // Bundle.total, when given, counts the matches of every page.
    let paging = "own data by every search path";
    let total = |agrees: serde_json::Value| {
        judge(
            paging,
            "walk total_agrees",
            &walk(serde_json::json!({"total_agrees": agrees})),
        )
    };
    assert_eq!(total(serde_json::Value::Null), ["n/a"], "no total");
    assert_eq!(total(true.into()), ["holds"]);
    assert_eq!(total(false.into()), ["fails"]);

    // RFC 9700 4.16: judged on the pages the form driver saw (none with a browser driver).
    let frames = |html: u64, frameable: u64| {
        let summary = serde_json::json!({"html_pages": html, "frameable_pages": frameable});
        judge(
            "login and consent pages refuse other sites' frames",
            "login frameable_pages",
            &Observed::summary(SummaryKind::Login, 302, summary),
        )
    };
    assert_eq!(frames(0, 0), ["n/a"]);
    assert_eq!(frames(2, 0), ["holds"]);
    assert_eq!(frames(2, 1), ["fails"]);

    // RFC 6749 3.2: `scope=` is answered as no scope (the captured status is a number).
    let empty = checks_with_query(
        "client credentials without scope, and with an empty one",
        "status",
    );
    let answered = |omitted: u16, status: u16| {
        use smartcheck::scenario::vars::{Expansion, Vars};
        let mut vars = Vars::from(Vec::new());
        vars.set("omitted_status", omitted.into());
        let check = vars.expand_value(&empty[0].to_json(), Expansion::Typed);
        let check = smartcheck::check::Check::from_json(check).unwrap();
        let seen = json(status, "{}");
        matches!(
            smartcheck::check::eval_check(&check, &seen, &smartcheck::check::NoLookup),
            smartcheck::check::Verdict::Holds
        )
    };
    assert!(answered(400, 400) && answered(200, 200));
    assert!(
        !answered(400, 200),
        "an empty scope served while no scope is refused"
    );

    // RFC 7523 3: every refused-assertion step (forged, misdirected, expired, replayed, no exp
    // or sub, another sub or iss, a near-miss aud, nbf ahead, unsigned, not a JWT) fails on a
    // server that accepts the assertion, and holds on invalid_client.
    let assertions = "assertion accepted, then forged, misdirected, expired, replayed and incomplete ones refused";
    let refusals: Vec<_> = steps_of(assertions)
        .into_iter()
        .flatten()
        .filter(|c| c.assertion.query.to_string() == "json /error")
        .collect();
    assert_eq!(
        refusals.len(),
        13,
        "12 assertion refusals and the empty Basic secret"
    );
    let accepted = json(200, r#"{"access_token": "t", "token_type": "Bearer"}"#);
    let refused_client = json(401, r#"{"error": "invalid_client"}"#);
    for check in &refusals {
        assert_eq!(verdict(check, &accepted, VARS), "fails", "{check}");
        assert_eq!(verdict(check, &refused_client, VARS), "holds", "{check}");
    }

    // RFC 6749 4.1.3: a code exchange without its redirect_uri is refused, either way.
    let missing = "redirect_uri missing at the token endpoint";
    let refused = |status: u16| judge(missing, "status", &json(status, "{}"));
    assert_eq!(refused(400), ["holds"], "invalid_request or invalid_grant");
    assert_eq!(refused(200), ["fails"], "exchanged");
}
