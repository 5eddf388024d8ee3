//! Revocation: an admin disables or deletes a client or user of their tenant; its bearer
//! tokens and explorer sessions stop working on every instance sharing the store within 5
//! seconds, it gets no new ones while disabled, what it held before stays refused after it
//! is enabled again, and another tenant's admin cannot touch it.

use interlog_store::ClientRole;
use interlog_testkit::*;
use reqwest::Method;
use serde_json::Value;
use std::time::{Duration, Instant};

/// How long a revocation may take to reach every instance.
const WITHIN: Duration = Duration::from_secs(5);

async fn client_token(app: &TestApp, base: &str, id: &str) -> reqwest::Response {
    app.http
        .post(format!("{base}/api/v1/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", SECRET),
        ])
        .send()
        .await
        .unwrap()
}

async fn token_of(app: &TestApp, id: &str) -> String {
    let r = client_token(app, &app.base, id).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    v["access_token"].as_str().unwrap().to_owned()
}

/// `method path` as the tenant's admin.
async fn as_admin(app: &TestApp, method: Method, path: &str) -> reqwest::Response {
    app.call(method, path, Some(&app.admin), None).await
}

/// The status of a listing with `token` on the server at `base`.
async fn listing(app: &TestApp, base: &str, token: &str) -> u16 {
    app.http
        .get(format!("{base}/api/v1/tenants/acme/engagements?limit=1"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The status of the explorer's overview with the session cookie `cookie` on `base` (a
/// redirect to the sign-in page once the session is gone).
async fn overview(base: &str, cookie: &str) -> u16 {
    no_redirects()
        .get(format!("{base}/ui"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The `name=value` pairs of a response's `Set-Cookie` headers.
fn cookies(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect()
}

/// Signs `user` in to the explorer through its form; the session cookie (`name=value`).
async fn sign_in(base: &str, user: &str) -> String {
    let http = no_redirects();
    let r = http.get(format!("{base}/ui/login")).send().await.unwrap();
    let login_cookies = cookies(&r).join("; ");
    let page = r.text().await.unwrap();
    let at = page
        .find("name=\"csrf\"")
        .expect("the form has a csrf field");
    let value = &page[at..];
    let start = value.find("value=\"").unwrap() + 7;
    let csrf = &value[start..start + value[start..].find('"').unwrap()];
    let r = http
        .post(format!("{base}/ui/login"))
        .header("cookie", login_cookies)
        .form(&[
            ("csrf", csrf),
            ("tenant", "acme"),
            ("username", user),
            ("password", SECRET),
            ("next", "/ui"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "signed in");
    cookies(&r)
        .into_iter()
        .find(|c| c.starts_with("interlog_ui="))
        .expect("a session cookie")
}

/// Waits until `refused` holds on both instances, failing after [`WITHIN`] from `since`.
async fn refused_everywhere<F, Fut>(since: Instant, what: &str, mut status: F, refused: u16)
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = u16>,
{
    for instance in 0..2 {
        loop {
            let s = status(instance).await;
            if s == refused {
                break;
            }
            assert!(
                since.elapsed() < WITHIN,
                "{what} still answered {s} on instance {instance} after {:?}",
                since.elapsed()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_clients_and_users_are_refused_on_every_instance_within_seconds() {
    let app = spawn_app().await;
    let other = app.second_instance().await;
    let bases = [app.base.clone(), format!("http://{}", other.addr)];
    app.create_client_with_app_key(&app.tenant, "ops-client", "k")
        .await;
    app.create_user(&app.tenant, "ops-user", SECRET, ClientRole::Reader)
        .await;
    let token = token_of(&app, "ops-client").await;
    let cookie = sign_in(&app.base, "ops-user").await;
    for base in &bases {
        assert_eq!(listing(&app, base, &token).await, 200);
        assert_eq!(overview(base, &cookie).await, 200);
    }

    // Disabling the client: its token stops working everywhere, it gets no new one.
    let r = as_admin(
        &app,
        Method::POST,
        "/api/v1/tenants/acme/clients/ops-client/disable",
    )
    .await;
    let since = Instant::now();
    assert_eq!(r.status(), 200);
    let view: Value = r.json().await.unwrap();
    assert!(view["disabled_at"].is_string(), "{view}");
    refused_everywhere(
        since,
        "the disabled client's token",
        |i| listing(&app, &bases[i], &token),
        401,
    )
    .await;
    assert_eq!(
        client_token(&app, &bases[1], "ops-client").await.status(),
        401
    );
    let (_, list) = app
        .get_json_as("/api/v1/tenants/acme/clients", &app.admin)
        .await;
    let listed = list["clients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["client_id"] == "ops-client")
        .unwrap();
    assert!(listed["disabled_at"].is_string(), "{list}");
    assert!(!list.to_string().contains("secret"), "{list}");

    // Enabled again, it gets new tokens; the one it held before stays refused.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let r = as_admin(
        &app,
        Method::POST,
        "/api/v1/tenants/acme/clients/ops-client/enable",
    )
    .await;
    assert_eq!(r.status(), 200);
    let fresh = token_of(&app, "ops-client").await;
    assert_eq!(listing(&app, &bases[1], &fresh).await, 200);
    assert_eq!(listing(&app, &bases[1], &token).await, 401);

    // Deleting the user ends their explorer session everywhere.
    let r = as_admin(&app, Method::DELETE, "/api/v1/tenants/acme/users/ops-user").await;
    let since = Instant::now();
    assert_eq!(r.status(), 204);
    refused_everywhere(
        since,
        "the deleted user's session",
        |i| overview(&bases[i], &cookie),
        303,
    )
    .await;
    let r = as_admin(&app, Method::DELETE, "/api/v1/tenants/acme/users/ops-user").await;
    assert_problem(r, 404, "not_found").await;

    // Deleting the client ends its fresh token too.
    let r = as_admin(
        &app,
        Method::DELETE,
        "/api/v1/tenants/acme/clients/ops-client",
    )
    .await;
    let since = Instant::now();
    assert_eq!(r.status(), 204);
    refused_everywhere(
        since,
        "the deleted client's token",
        |i| listing(&app, &bases[i], &fresh),
        401,
    )
    .await;
    other.stop().await.unwrap();
}

#[tokio::test]
async fn only_an_admin_of_the_tenant_revokes_its_clients_and_users() {
    let app = spawn_app().await;
    let (_, beta_admin) = app.other_tenant("beta").await;
    for (method, path) in [
        (
            Method::POST,
            "/api/v1/tenants/acme/clients/acme-admin/disable",
        ),
        (Method::DELETE, "/api/v1/tenants/acme/clients/acme-admin"),
    ] {
        let r = app
            .call(method.clone(), path, Some(&beta_admin), None)
            .await;
        assert_problem(r, 404, "not_found").await;
        let r = app.call(method, path, Some(&app.reader), None).await;
        assert_problem(r, 403, "forbidden").await;
    }
    // An admin client does not lock itself out: refused, and its token keeps working.
    let own = token_of(&app, "acme-admin").await;
    for (method, path) in [
        (
            Method::POST,
            "/api/v1/tenants/acme/clients/acme-admin/disable",
        ),
        (Method::DELETE, "/api/v1/tenants/acme/clients/acme-admin"),
    ] {
        let r = app.call(method, path, Some(&own), None).await;
        assert_problem(r, 409, "conflict").await;
    }
    assert_eq!(listing(&app, &app.base, &own).await, 200);
    // A client of another tenant named in this tenant's path is not found.
    let beta = app.store.tenant("beta").await.unwrap().unwrap();
    app.create_client_with_app_key(&beta, "beta-client", "k")
        .await;
    let r = as_admin(
        &app,
        Method::POST,
        "/api/v1/tenants/acme/clients/beta-client/disable",
    )
    .await;
    assert_problem(r, 404, "not_found").await;
    assert!(!token_of(&app, "beta-client").await.is_empty());
    let (status, _) = app
        .get_json_as("/api/v1/tenants/acme/clients", &app.admin)
        .await;
    assert_eq!(status, 200);
}
