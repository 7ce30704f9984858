//! The patient-generated credentials profile (seed 003): named key/secret pairs a member
//! creates, lists and deletes; each reads only its patient's data; a deleted pair is refused
//! at once while the others keep working.

mod support;

use reference_server::RunningServer;
use serde_json::{Value, json};
use support::*;

fn credentials_url(s: &RunningServer) -> String {
    format!("{}/patient-keys/credentials", s.root())
}

fn fhir(s: &RunningServer, rest: &str) -> String {
    format!("{}/patient-keys/fhir/{rest}", s.root())
}

/// Creates a pair named `name` for `member`: the 201 body.
async fn create(s: &RunningServer, member: (&str, &str, &str), name: &str) -> Value {
    let res = http()
        .post(credentials_url(s))
        .basic_auth(member.0, Some(member.1))
        .json(&json!({ "name": name }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["cache-control"], "no-store");
    res.json().await.unwrap()
}

async fn list(s: &RunningServer, member: (&str, &str, &str)) -> Value {
    let res = http()
        .get(credentials_url(s))
        .basic_auth(member.0, Some(member.1))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// GET `url` with `pair` as HTTP Basic key:secret: the status.
async fn get_with(url: &str, pair: &Value) -> u16 {
    http()
        .get(url)
        .basic_auth(
            pair["key"].as_str().unwrap(),
            Some(pair["secret"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn delete(s: &RunningServer, member: (&str, &str, &str), id: &str) -> u16 {
    http()
        .delete(format!("{}/{id}", credentials_url(s)))
        .basic_auth(member.0, Some(member.1))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn several_pairs_secret_once_scope_and_delete() {
    let s = server().await;
    let phone = create(&s, MEMBER1, "Health app on my phone").await;
    let laptop = create(&s, MEMBER1, "Laptop").await;
    assert_eq!(phone["name"], "Health app on my phone");
    assert_eq!(phone["patient"], MEMBER1.2);
    assert_ne!(phone["key"], laptop["key"]);
    assert!(phone["secret"].as_str().unwrap().len() >= 32);

    // Listed by id, name, key and creation time; never the secret.
    let listed = list(&s, MEMBER1).await;
    let pairs = listed["credentials"].as_array().unwrap();
    assert_eq!(pairs.len(), 2);
    assert_eq!(pairs[0]["id"], phone["id"]);
    assert_eq!(pairs[0]["key"], phone["key"]);
    assert!(pairs.iter().all(|p| p.get("secret").is_none()));
    let text = listed.to_string();
    for pair in [&phone, &laptop] {
        assert!(!text.contains(pair["secret"].as_str().unwrap()));
    }

    // Each pair reads its own patient, and nobody else's.
    let own = fhir(&s, &format!("Patient/{}", MEMBER1.2));
    let other = fhir(&s, &format!("Patient/{}", MEMBER2.2));
    for pair in [&phone, &laptop] {
        assert_eq!(get_with(&own, pair).await, 200);
        assert_eq!(get_with(&other, pair).await, 403);
    }
    let res = http()
        .get(fhir(&s, &format!("Coverage?patient={}", MEMBER1.2)))
        .basic_auth(
            phone["key"].as_str().unwrap(),
            Some(phone["secret"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/fhir+json");
    let bundle: Value = res.json().await.unwrap();
    assert_eq!(bundle["type"], "searchset");
    let self_link = bundle["link"][0]["url"].as_str().unwrap();
    assert!(self_link.starts_with(&fhir(&s, "Coverage")), "{self_link}");
    for rest in [
        format!("Coverage?patient={}", MEMBER2.2),
        format!("ExplanationOfBenefit?patient={}", MEMBER2.2),
    ] {
        assert_eq!(get_with(&fhir(&s, &rest), &phone).await, 403, "{rest}");
    }
    let eob = fhir(&s, &format!("ExplanationOfBenefit?patient={}", MEMBER1.2));
    assert_eq!(get_with(&eob, &phone).await, 200);
    // Outside the small served set.
    assert_eq!(get_with(&fhir(&s, "Condition"), &phone).await, 404);

    // Deleting one pair refuses it on the very next request; the other keeps working.
    assert_eq!(
        delete(&s, MEMBER1, phone["id"].as_str().unwrap()).await,
        204
    );
    assert_eq!(get_with(&own, &phone).await, 401);
    assert_eq!(get_with(&own, &laptop).await, 200);
    assert_eq!(
        delete(&s, MEMBER1, phone["id"].as_str().unwrap()).await,
        404
    );
    let listed = list(&s, MEMBER1).await;
    assert_eq!(listed["credentials"].as_array().unwrap().len(), 1);
    s.shutdown().await;
}

#[tokio::test]
async fn members_manage_only_their_own_pairs() {
    let s = server().await;
    let mine = create(&s, MEMBER1, "mine").await;
    let id = mine["id"].as_str().unwrap();
    assert_eq!(delete(&s, MEMBER2, id).await, 404);
    assert_eq!(delete(&s, MEMBER2, "no-such-id").await, 404);
    assert_eq!(list(&s, MEMBER2).await["credentials"], json!([]));
    let own = fhir(&s, &format!("Patient/{}", MEMBER1.2));
    assert_eq!(get_with(&own, &mine).await, 200);

    // Member authentication: none or a wrong password is a 401 with a Basic challenge.
    for res in [
        http().get(credentials_url(&s)).send().await.unwrap(),
        http()
            .get(credentials_url(&s))
            .basic_auth(MEMBER1.0, Some("wrong"))
            .send()
            .await
            .unwrap(),
        http()
            .post(credentials_url(&s))
            .basic_auth(MEMBER1.0, Some("wrong"))
            .json(&json!({ "name": "x" }))
            .send()
            .await
            .unwrap(),
        http()
            .delete(format!("{}/{id}", credentials_url(&s)))
            .basic_auth(MEMBER1.0, Some("wrong"))
            .send()
            .await
            .unwrap(),
    ] {
        assert_eq!(res.status(), 401);
        assert!(res.headers().contains_key("www-authenticate"));
    }
    assert_eq!(get_with(&own, &mine).await, 200, "nothing was deleted");
    s.shutdown().await;
}

#[tokio::test]
async fn data_access_needs_a_live_pair() {
    let s = server().await;
    let pair = create(&s, MEMBER1, "app").await;
    let own = fhir(&s, &format!("Patient/{}", MEMBER1.2));
    let res = http().get(&own).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(
        res.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    let wrong_secret = json!({ "key": pair["key"], "secret": "not-the-secret" });
    assert_eq!(get_with(&own, &wrong_secret).await, 401);
    let member_password = json!({ "key": MEMBER1.0, "secret": MEMBER1.1 });
    assert_eq!(get_with(&own, &member_password).await, 401);
    for bad in ["Basic !!!", "Bearer abc", "Basic", ""] {
        let res = http()
            .get(&own)
            .header("authorization", bad)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{bad:?}");
    }
    // Writes are refused after authentication.
    let res = http()
        .post(&own)
        .basic_auth(
            pair["key"].as_str().unwrap(),
            Some(pair["secret"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    s.shutdown().await;
}

#[tokio::test]
async fn malformed_input_is_a_4xx() {
    let s = server().await;
    let post = |body: &str, content_type: &'static str| {
        http()
            .post(credentials_url(&s))
            .basic_auth(MEMBER1.0, Some(MEMBER1.1))
            .header("content-type", content_type)
            .body(body.to_string())
            .send()
    };
    let long = format!("name={}", "a".repeat(101));
    for (body, content_type, status) in [
        ("{", "application/json", 400),
        (r#"{"name": 5}"#, "application/json", 400),
        (r#"{"name": ""}"#, "application/json", 400),
        ("{}", "application/json", 400),
        ("name=a&name=b", "application/x-www-form-urlencoded", 400),
        ("", "application/x-www-form-urlencoded", 400),
        (long.as_str(), "application/x-www-form-urlencoded", 400),
        ("name=x", "text/plain", 415),
    ] {
        let res = post(body, content_type).await.unwrap();
        assert_eq!(res.status(), status, "{body:?} as {content_type}");
    }
    let res = post("name=From+a+form", "application/x-www-form-urlencoded")
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    // The bound on pairs per member: 20 (one exists already).
    for i in 1..20 {
        create(&s, MEMBER1, &format!("pair {i}")).await;
    }
    let res = post(r#"{"name": "one too many"}"#, "application/json")
        .await
        .unwrap();
    assert_eq!(res.status(), 409);

    // Malformed ids and paths on the data API: 4xx, never 5xx.
    let pair = create(&s, MEMBER2, "app").await;
    for rest in [
        "Patient/a_b",
        "Patient/%FF",
        "Patient/$everything",
        &format!("Patient/{}/$everything", MEMBER2.2),
        "Coverage?_count=abc",
        "Coverage?patient=a&patient=b",
        "",
    ] {
        let status = get_with(&fhir(&s, rest), &pair).await;
        assert!((400..500).contains(&status), "{rest}: {status}");
    }
    s.shutdown().await;
}
