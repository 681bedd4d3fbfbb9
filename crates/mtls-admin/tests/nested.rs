//! The nested and lookup endpoints: entities under their parent (and 404 under another),
//! lookups by id, name, username, instance_name, SNI and ACL group, the owner endpoints,
//! Kong's cascades on DELETE, `GET /` and `/plugins/enabled`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::{Value, json};
use support::{Running, curl_async, pki, s, start_sqlite, temp_dir};

async fn call(server: &Running, list: &[&str]) -> (u16, Value) {
    let all = list
        .iter()
        .map(|a| {
            if a.starts_with('/') {
                server.url(a)
            } else {
                (*a).to_owned()
            }
        })
        .collect();
    curl_async(all).await
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_lookups_owners_and_cascades() {
    let dir = temp_dir("nested");
    let pki = pki(&dir);
    let server = start_sqlite(&dir).await;
    let (_, a) = call(
        &server,
        &[
            "-X",
            "POST",
            "/services",
            "-d",
            "name=a",
            "-d",
            "url=http://a.internal",
        ],
    )
    .await;
    let (_, b) = call(
        &server,
        &[
            "-X",
            "POST",
            "/services",
            "-d",
            "name=b",
            "-d",
            "url=http://b.internal",
        ],
    )
    .await;
    let (status, route) = call(
        &server,
        &[
            "-X",
            "POST",
            "/services/a/routes",
            "-d",
            "name=ra",
            "-d",
            "paths[]=/a",
        ],
    )
    .await;
    assert_eq!(status, 201);
    // Under its service, by name or id; not under another.
    for path in [
        "/services/a/routes/ra".to_owned(),
        format!("/services/{}/routes/{}", id(&a), id(&route)),
    ] {
        let (status, got) = call(&server, &[&path]).await;
        assert_eq!((status, id(&got)), (200, id(&route)));
    }
    let (status, _) = call(&server, &["/services/b/routes/ra"]).await;
    assert_eq!(status, 404);
    let (_, list) = call(&server, &["/services/b/routes"]).await;
    assert_eq!(list, json!({"data": [], "next": null}));
    // The owner endpoint, read and patched.
    let (status, owner) = call(&server, &["/routes/ra/service"]).await;
    assert_eq!((status, id(&owner)), (200, id(&a)));
    let (status, patched) = call(
        &server,
        &["-X", "PATCH", "/routes/ra/service", "-d", "retries=9"],
    )
    .await;
    assert_eq!((status, patched["retries"].clone()), (200, json!(9)));
    let (status, _) = call(&server, &["-X", "DELETE", "/routes/ra/service"]).await;
    assert_eq!(status, 405);

    // Plugins: by instance_name, nested under the route, listed as enabled.
    let (status, plugin) = call(
        &server,
        &[
            "-X",
            "POST",
            "/routes/ra/plugins",
            "-d",
            "name=acl",
            "-d",
            "instance_name=ra-acl",
            "-d",
            "config.allow=g",
        ],
    )
    .await;
    assert_eq!(status, 201, "{plugin}");
    let (status, got) = call(&server, &["/plugins/ra-acl"]).await;
    assert_eq!((status, id(&got)), (200, id(&plugin)));
    let (_, on_route) = call(&server, &["/routes/ra/plugins"]).await;
    assert_eq!(on_route["data"].as_array().map(Vec::len), Some(1));
    let (_, enabled) = call(&server, &["/plugins/enabled"]).await;
    assert_eq!(enabled, json!({"enabled_plugins": ["acl"]}));
    // Deleting the route takes its plugin (Kong: cascade).
    let (status, _) = call(&server, &["-X", "DELETE", "/routes/ra"]).await;
    assert_eq!(status, 204);
    let (status, _) = call(&server, &["/plugins/ra-acl"]).await;
    assert_eq!(status, 404);
    let (_, _) = (a, b);

    // Certificates and SNIs: nested creation, lookup by SNI, the SNI's owner, cascade.
    let (status, cert) = call(
        &server,
        &[
            "/certificates",
            "-F",
            &format!("cert=@{}", s(&pki.client_cert)),
            "-F",
            &format!("key=@{}", s(&pki.client_key)),
        ],
    )
    .await;
    assert_eq!(status, 201, "{cert}");
    let (status, sni) = call(
        &server,
        &[
            "-X",
            "POST",
            &format!("/certificates/{}/snis", id(&cert)),
            "-d",
            "name=api.example.com",
        ],
    )
    .await;
    assert_eq!(status, 201, "{sni}");
    let (status, by_sni) = call(&server, &["/certificates/API.example.com"]).await;
    assert_eq!(
        (status, by_sni["snis"].clone()),
        (200, json!(["api.example.com"]))
    );
    let (status, owner) = call(&server, &["/snis/api.example.com/certificate"]).await;
    assert_eq!((status, id(&owner)), (200, id(&cert)));
    let (status, _) = call(&server, &["-X", "DELETE", "/certificates/api.example.com"]).await;
    assert_eq!(status, 204);
    let (_, snis) = call(&server, &["/snis"]).await;
    assert_eq!(snis["data"], json!([]));

    // Kong's `snis` shorthand on the certificate itself: created with it, replaced by a
    // PATCH, a name another certificate holds is a 409 and changes nothing.
    let (status, cert) = call(
        &server,
        &[
            "/certificates",
            "-F",
            &format!("cert=@{}", s(&pki.client_cert)),
            "-F",
            &format!("key=@{}", s(&pki.client_key)),
            "-F",
            "snis[]=a.example.com",
            "-F",
            "snis[]=b.example.com",
        ],
    )
    .await;
    assert_eq!(status, 201, "{cert}");
    assert_eq!(cert["snis"], json!(["a.example.com", "b.example.com"]));
    let (_, snis) = call(&server, &["/snis"]).await;
    assert_eq!(snis["data"].as_array().map(Vec::len), Some(2));
    let (status, patched) = call(
        &server,
        &[
            "-X",
            "PATCH",
            &format!("/certificates/{}", id(&cert)),
            "-d",
            "snis[]=b.example.com",
            "-d",
            "snis[]=c.example.com",
        ],
    )
    .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["snis"], json!(["b.example.com", "c.example.com"]));
    let (status, other) = call(
        &server,
        &[
            "/certificates",
            "-F",
            &format!("cert=@{}", s(&pki.client_cert)),
            "-F",
            &format!("key=@{}", s(&pki.client_key)),
            "-F",
            "snis[]=c.example.com",
        ],
    )
    .await;
    assert_eq!(status, 409, "{other}");
    let (_, certs) = call(&server, &["/certificates"]).await;
    assert_eq!(
        certs["data"].as_array().map(Vec::len),
        Some(1),
        "nothing half-written"
    );
    let (status, _) = call(
        &server,
        &["-X", "DELETE", &format!("/certificates/{}", id(&cert))],
    )
    .await;
    assert_eq!(status, 204);
    let (_, snis) = call(&server, &["/snis"]).await;
    assert_eq!(snis["data"], json!([]));

    // Consumers: mappings and groups under their consumer only; DELETE takes them along.
    let (_, alice) = call(
        &server,
        &["-X", "POST", "/consumers", "-d", "username=alice"],
    )
    .await;
    let (_, bob) = call(&server, &["-X", "POST", "/consumers", "-d", "username=bob"]).await;
    let (status, mapping) = call(
        &server,
        &[
            "-X",
            "POST",
            "/consumers/alice/mtls-auth",
            "-d",
            "subject_name=alice@example.com",
        ],
    )
    .await;
    assert_eq!(status, 201);
    let (status, _) = call(
        &server,
        &[&format!("/consumers/bob/mtls-auth/{}", id(&mapping))],
    )
    .await;
    assert_eq!(status, 404);
    let (status, hca) = call(
        &server,
        &[
            "-X",
            "POST",
            "/consumers/alice/header-cert-auth",
            "-d",
            "subject_name=alice",
        ],
    )
    .await;
    assert_eq!(status, 201, "{hca}");
    let (status, owner) = call(
        &server,
        &[&format!("/header-cert-auths/{}/consumer", id(&hca))],
    )
    .await;
    assert_eq!((status, id(&owner)), (200, id(&alice)));
    // PUT by group name creates the membership; GET by group finds it.
    let (status, group) = call(&server, &["-X", "PUT", "/consumers/alice/acls/admins"]).await;
    assert_eq!((status, group["group"].clone()), (201, json!("admins")));
    let (status, again) = call(&server, &["/consumers/alice/acls/admins"]).await;
    assert_eq!((status, id(&again)), (200, id(&group)));
    let (status, _) = call(&server, &["/consumers/bob/acls/admins"]).await;
    assert_eq!(status, 404);
    let (status, _) = call(&server, &[&format!("/consumers/{}", id(&bob))]).await;
    assert_eq!(status, 200);
    let (status, _) = call(&server, &["-X", "DELETE", "/consumers/alice"]).await;
    assert_eq!(status, 204);
    for path in ["/mtls-auths", "/header-cert-auths", "/acls"] {
        let (_, page) = call(&server, &[path]).await;
        assert_eq!(page["data"], json!([]), "{path}");
    }

    // The node's information.
    let (status, root) = call(&server, &["/"]).await;
    assert_eq!(status, 200);
    assert_eq!(root["configuration"]["database"], "sqlite");
    assert!(root["plugins"]["available_on_server"]["mtls-auth"].is_object());
    let (status, _) = call(&server, &["-X", "POST", "/"]).await;
    assert_eq!(status, 405);
    server.stop().await;
}
