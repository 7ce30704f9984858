//! Patient Access API: reads, compartment searches and `$everything`.

use std::collections::HashSet;

use serde_json::Value;

use super::*;

#[tokio::test]
async fn fhir_reads_follow_the_patient_compartment() {
    let s = server().await;
    let base = s.state.urls.patient_access.clone();
    let tok = insert_patient_token(&s, MEMBER1.2);
    let res = http()
        .get(format!("{base}/Patient/{}", MEMBER1.2))
        .bearer_auth(&tok.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/fhir+json")
    );
    assert_eq!(res.headers()["etag"], "W/\"1\"");
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        (body["resourceType"].as_str(), body["id"].as_str()),
        (Some("Patient"), Some(MEMBER1.2))
    );
    // Every resource of the own record reads back; the other member's are 403.
    for (t, id) in record_keys(&s, MEMBER1.2, None) {
        assert_eq!(
            get_json(&format!("{base}/{t}/{id}"), &tok).await.0,
            200,
            "{t}/{id}"
        );
    }
    for (t, id) in record_keys(&s, MEMBER2.2, None) {
        let (status, ctype, outcome) = get_json(&format!("{base}/{t}/{id}"), &tok).await;
        assert_eq!(
            (status, ctype.as_str()),
            (403, "application/fhir+json"),
            "{t}/{id}"
        );
        assert_eq!(outcome["resourceType"], "OperationOutcome");
    }
    assert_eq!(
        get_json(&format!("{base}/Patient/no-such-patient"), &tok)
            .await
            .0,
        404
    );
    assert_eq!(
        get_json(&format!("{base}/Observation/no-such-thing"), &tok)
            .await
            .0,
        404
    );
    assert_eq!(
        get_json(&format!("{base}/Patient/{}", "x".repeat(65)), &tok)
            .await
            .0,
        400
    );
    assert_eq!(get_json(&format!("{base}/Patient/a_b"), &tok).await.0, 400);
    let (status, _, outcome) = get_json(&format!("{base}/Spaceship/1"), &tok).await;
    assert_eq!(
        (status, outcome["issue"][0]["code"].as_str()),
        (404, Some("not-supported"))
    );
    s.shutdown().await;
}

#[tokio::test]
async fn fhir_everything_walk_returns_exactly_the_compartment_in_phases() {
    let s = server().await;
    let base = s.state.urls.patient_access.clone();
    let tok = insert_patient_token(&s, MEMBER1.2);
    let start = format!("{base}/Patient/{}/$everything?_count=3", MEMBER1.2);
    let pages = walk(&start, &tok, &base).await;
    let got = entries(&pages, &base);
    let want = record_keys(&s, MEMBER1.2, None);
    assert_eq!(got.iter().cloned().collect::<HashSet<_>>(), want);
    assert_eq!(got.first().map(|e| e.0.as_str()), Some("Patient"));
    let phase = |t: &str| match t {
        "Patient" | "Coverage" => 1,
        "ExplanationOfBenefit" => 2,
        _ => 3,
    };
    let mut last_phase = 0;
    for p in &pages {
        assert!(
            page_len(p) <= 3 && page_len(p) > 0,
            "page of {}",
            page_len(p)
        );
        assert!(p.get("total").is_none(), "$everything pages carry no total");
        let phases: HashSet<u8> = entries(std::slice::from_ref(p), &base)
            .iter()
            .map(|e| phase(&e.0))
            .collect();
        assert_eq!(phases.len(), 1, "a page mixes phases");
        let this = phases.into_iter().next().unwrap_or(0);
        assert!(this >= last_phase, "phases out of order");
        last_phase = this;
    }
    // The default page size serves the same set.
    let default = walk(
        &format!("{base}/Patient/{}/$everything", MEMBER1.2),
        &tok,
        &base,
    )
    .await;
    assert_eq!(
        entries(&default, &base).into_iter().collect::<HashSet<_>>(),
        want
    );
    s.shutdown().await;
}

#[tokio::test]
async fn fhir_everything_filters_and_bad_input() {
    let s = server().await;
    let base = s.state.urls.patient_access.clone();
    let tok = insert_patient_token(&s, MEMBER1.2);
    let everything = format!("{base}/Patient/{}/$everything", MEMBER1.2);
    let pages = walk(
        &format!("{everything}?_type=Observation&_count=2"),
        &tok,
        &base,
    )
    .await;
    let got: HashSet<_> = entries(&pages, &base).into_iter().collect();
    assert_eq!(got, record_keys(&s, MEMBER1.2, Some("Observation")));
    // Filtered to nothing: one empty Bundle without `next`.
    let pages = walk(
        &format!("{everything}?_since=2999-01-01T00:00:00Z"),
        &tok,
        &base,
    )
    .await;
    assert_eq!((pages.len(), page_len(&pages[0])), (1, 0));
    for bad in [
        "_count=0",
        "_count=-1",
        "_count=abc",
        "_count=2&_count=3",
        "_type=Organization",
        "_type=Patient&_type=Coverage",
        "_since=2024-01-01",
        "start=yesterday",
        "_phase=9",
        "_offset=x",
    ] {
        let (status, ctype, outcome) = get_json(&format!("{everything}?{bad}"), &tok).await;
        assert_eq!(
            (status, ctype.as_str()),
            (400, "application/fhir+json"),
            "{bad}"
        );
        assert_eq!(outcome["resourceType"], "OperationOutcome", "{bad}");
    }
    let other = format!("{base}/Patient/{}/$everything", MEMBER2.2);
    assert_eq!(get_json(&other, &tok).await.0, 403);
    assert_eq!(
        get_json(&format!("{base}/Patient/{}/$nothing", MEMBER1.2), &tok)
            .await
            .0,
        404
    );
    s.shutdown().await;
}

#[tokio::test]
async fn fhir_compartment_search_pages_and_guards_the_patient() {
    let s = server().await;
    let base = s.state.urls.patient_access.clone();
    let tok = insert_patient_token(&s, MEMBER1.2);
    for t in [
        "Patient",
        "Coverage",
        "ExplanationOfBenefit",
        "Observation",
        "Condition",
    ] {
        let pages = walk(&format!("{base}/{t}?_count=2&unknown=1"), &tok, &base).await;
        let got: HashSet<_> = entries(&pages, &base).into_iter().collect();
        let want = record_keys(&s, MEMBER1.2, Some(t));
        assert_eq!(got, want, "{t}");
        assert_eq!(pages[0]["total"].as_u64(), Some(want.len() as u64));
        assert!(pages.iter().all(|p| page_len(p) <= 2));
        let self_link = pages[0]["link"][0]["url"].as_str().unwrap_or("");
        assert!(!self_link.contains("unknown"), "{self_link}");
    }
    let me = MEMBER1.2;
    for ok in [
        format!("patient={me}"),
        format!("patient=Patient/{me}"),
        format!("patient={base}/Patient/{me}"),
    ] {
        let pages = walk(&format!("{base}/Coverage?{ok}"), &tok, &base).await;
        assert_eq!(
            entries(&pages, &base).len(),
            record_keys(&s, me, Some("Coverage")).len(),
            "{ok}"
        );
    }
    let other = MEMBER2.2;
    for denied in [
        format!("Coverage?patient={other}"),
        format!("Observation?subject=Patient/{other}"),
        format!("Patient?_id={other}"),
    ] {
        assert_eq!(
            get_json(&format!("{base}/{denied}"), &tok).await.0,
            403,
            "{denied}"
        );
    }
    let pages = walk(&format!("{base}/Coverage?patient=nobody"), &tok, &base).await;
    assert_eq!(page_len(&pages[0]), 0);
    assert_eq!(
        get_json(&format!("{base}/Coverage?_offset=1&_offset=2"), &tok)
            .await
            .0,
        400
    );
    assert_eq!(get_json(&format!("{base}/Spaceship"), &tok).await.0, 404);
    s.shutdown().await;
}

#[tokio::test]
async fn fhir_everything_start_end_and_since_filter_by_the_server_dates() {
    let s = server().await;
    let bearer = insert_patient_token(&s, MEMBER1.2);
    let base = s.state.urls.patient_access.clone();
    let member = s.state.registry.member_by_patient(MEMBER1.2).unwrap();
    let record = s.state.data.record(member);
    let mut dates: Vec<i64> = record.all().iter().filter_map(|r| r.date).collect();
    dates.sort_unstable();
    let (lo, hi) = (dates[dates.len() / 4], dates[dates.len() * 3 / 4]);
    let day = |t: i64| smartcheck_common::fhirtime::instant(t)[..10].to_string();
    let (start, end) = (day(lo), day(hi));
    let (first, _) = smartcheck_common::fhirtime::period(&start).unwrap();
    let (_, last) = smartcheck_common::fhirtime::period(&end).unwrap();
    let expected: HashSet<(String, String)> = record
        .all()
        .iter()
        .filter(|r| r.date.is_none_or(|d| d >= first && d <= last))
        .map(|r| (r.resource_type.clone(), r.id.clone()))
        .collect();
    assert!(
        expected.len() > 1 && expected.len() < record.all().len(),
        "a real filter"
    );
    let url = format!(
        "{base}/Patient/{}/$everything?start={start}&end={end}&_count=7",
        MEMBER1.2
    );
    let got: HashSet<_> = entries(&walk(&url, &bearer, &base).await, &base)
        .into_iter()
        .collect();
    assert_eq!(got, expected);
    // _since keeps what changed at or after the instant.
    let mut updated: Vec<i64> = record.all().iter().map(|r| r.last_updated).collect();
    updated.sort_unstable();
    let since = updated[updated.len() / 2];
    let expected: HashSet<(String, String)> = record
        .all()
        .iter()
        .filter(|r| r.last_updated >= since)
        .map(|r| (r.resource_type.clone(), r.id.clone()))
        .collect();
    let since = smartcheck_common::fhirtime::instant(since);
    let url = format!("{base}/Patient/{}/$everything?_since={since}", MEMBER1.2);
    let got: HashSet<_> = entries(&walk(&url, &bearer, &base).await, &base)
        .into_iter()
        .collect();
    assert_eq!(got, expected);
    s.shutdown().await;
}
