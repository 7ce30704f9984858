//! Introspection (RFC 7662), revocation (RFC 7009) and the member's grant revocation.

mod support;

use serde_json::Value;
use support::*;

#[tokio::test]
async fn member_grant_revocation_kills_refresh_and_access_tokens() {
    let s = server().await;
    let t = member_tokens(&s, MEMBER1).await;
    let grants = s.state.urls.member_grants.clone();
    let list: Value = http()
        .get(&grants)
        .basic_auth(MEMBER1.0, Some(MEMBER1.1))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["grants"][0]["client_id"], PA_CLIENT);
    assert_eq!(http().get(&grants).send().await.unwrap().status(), 401);
    assert_eq!(
        http()
            .delete(format!("{grants}/{PA_CLIENT}"))
            .basic_auth(MEMBER1.0, Some("wrong"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let res = http()
        .delete(format!("{grants}/{PA_CLIENT}"))
        .basic_auth(MEMBER1.0, Some(MEMBER1.1))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["revoked"], 1);
    assert!(
        s.state
            .tokens
            .live_access(t["access_token"].as_str().unwrap())
            .is_none()
    );
    let res = refresh_request(
        &s,
        (PA_CLIENT, PA_SECRET),
        t["refresh_token"].as_str().unwrap(),
        None,
    )
    .await;
    assert_eq!(error_of(res).await, (400, "invalid_grant".into()));
    s.shutdown().await;
}

async fn introspect(
    s: &reference_server::RunningServer,
    creds: (&str, &str),
    token: &str,
) -> Value {
    let res = http()
        .post(&s.state.urls.introspect)
        .basic_auth(creds.0, Some(creds.1))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn introspection_reports_own_live_tokens_only() {
    let s = server().await;
    let t = member_tokens(&s, MEMBER1).await;
    let at = t["access_token"].as_str().unwrap();
    let v = introspect(&s, (PA_CLIENT, PA_SECRET), at).await;
    assert_eq!(v["active"], true);
    assert_eq!(v["scope"], SCOPE);
    assert_eq!(v["client_id"], PA_CLIENT);
    assert_eq!(v["patient"], MEMBER1.2);
    assert!(v["exp"].as_u64().is_some());
    let v = introspect(
        &s,
        (PA_CLIENT, PA_SECRET),
        t["refresh_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(v["active"], true);
    assert_eq!(
        introspect(&s, (PA2_CLIENT, PA2_SECRET), at).await,
        serde_json::json!({"active": false})
    );
    assert_eq!(
        introspect(&s, (PA_CLIENT, PA_SECRET), "garbage").await,
        serde_json::json!({"active": false})
    );
    let res = http()
        .post(&s.state.urls.introspect)
        .form(&[("token", at)])
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(res).await, (401, "invalid_client".into()));
    s.shutdown().await;
}

#[tokio::test]
async fn revocation_follows_rfc_7009() {
    let s = server().await;
    let t = member_tokens(&s, MEMBER1).await;
    let (at, rt) = (
        t["access_token"].as_str().unwrap(),
        t["refresh_token"].as_str().unwrap(),
    );
    let revoke = |creds: (&'static str, &'static str), form: Vec<(&'static str, String)>| {
        let url = s.state.urls.revoke.clone();
        async move {
            http()
                .post(url)
                .basic_auth(creds.0, Some(creds.1))
                .form(&form)
                .send()
                .await
                .unwrap()
        }
    };
    // Another client's token is refused, not revoked.
    let res = revoke((PA2_CLIENT, PA2_SECRET), vec![("token", at.to_string())]).await;
    assert_eq!(error_of(res).await, (400, "unauthorized_client".into()));
    assert_eq!(
        introspect(&s, (PA_CLIENT, PA_SECRET), at).await["active"],
        true
    );
    // Unknown tokens are not an error; unsupported hints are.
    assert_eq!(
        revoke((PA_CLIENT, PA_SECRET), vec![("token", "nope".into())])
            .await
            .status(),
        200
    );
    // An unknown hint is ignored (RFC 7009 2.2): the token is still revoked.
    let res = revoke(
        (PA_CLIENT, PA_SECRET),
        vec![("token", at.into()), ("token_type_hint", "id_token".into())],
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        revoke((PA_CLIENT, PA_SECRET), vec![("token", at.into())])
            .await
            .status(),
        200
    );
    assert_eq!(
        introspect(&s, (PA_CLIENT, PA_SECRET), at).await["active"],
        false
    );
    assert_eq!(
        introspect(&s, (PA_CLIENT, PA_SECRET), rt).await["active"],
        true
    );
    // Revoking the refresh token ends the grant: new access tokens from it die too.
    let fresh: Value = refresh_request(&s, (PA_CLIENT, PA_SECRET), rt, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        revoke(
            (PA_CLIENT, PA_SECRET),
            vec![
                ("token", rt.into()),
                ("token_type_hint", "refresh_token".into())
            ]
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        introspect(
            &s,
            (PA_CLIENT, PA_SECRET),
            fresh["access_token"].as_str().unwrap()
        )
        .await["active"],
        false
    );
    let res = refresh_request(&s, (PA_CLIENT, PA_SECRET), rt, None).await;
    assert_eq!(error_of(res).await, (400, "invalid_grant".into()));
    s.shutdown().await;
}
