//! One test per bad input: Kong's error shape and status, never a 500, never a partial
//! write (the database's rows and the served configuration are unchanged).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;

use mtls_admin::AdminSettings;
use serde_json::{Value, json};
use support::{
    Running, ValidatingNode, curl_async, pki, s, start_sqlite, start_sqlite_with, temp_dir,
};

async fn call(server: &Running, list: &[&str]) -> (u16, Value) {
    let mut all: Vec<String> = Vec::new();
    for a in list {
        if a.starts_with('/') {
            all.push(server.url(a));
        } else {
            all.push((*a).to_owned());
        }
    }
    curl_async(all).await
}

async fn json_post(server: &Running, path: &str, body: &str) -> (u16, Value) {
    call(
        server,
        &[
            "-X",
            "POST",
            path,
            "-H",
            "Content-Type: application/json",
            "-d",
            body,
        ],
    )
    .await
}

/// Every stored row and every served entity, to compare before and after a refused write.
async fn state(server: &Running) -> (usize, String) {
    let store = match server.admin.mode() {
        mtls_admin::Mode::Database(store) => store.clone(),
        _ => panic!("database mode"),
    };
    let rows = store.database().rows().await.expect("rows").len();
    (rows, format!("{:?}", server.node.served()))
}

async fn refused(server: &Running, list: &[&str]) -> (u16, Value) {
    let before = state(server).await;
    let answer = call(server, list).await;
    assert_ne!(answer.0, 500, "{answer:?}");
    assert!(answer.0 >= 400, "{answer:?}");
    assert_eq!(
        state(server).await,
        before,
        "a refused write changed something"
    );
    answer
}

async fn server(name: &str) -> (Running, support::Pki) {
    let dir = temp_dir(name);
    let pki = pki(&dir);
    (start_sqlite(&dir).await, pki)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_body() {
    let (server, _) = server("malformed").await;
    let (status, body) = refused(
        &server,
        &[
            "-X",
            "POST",
            "/consumers",
            "-H",
            "Content-Type: application/json",
            "-d",
            "{\"username\": ",
        ],
    )
    .await;
    assert_eq!(
        (status, body),
        (400, json!({"message": "Cannot parse JSON body"}))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_field() {
    let (server, _) = server("unknown-field").await;
    let (status, body) = refused(
        &server,
        &[
            "-X",
            "POST",
            "/consumers",
            "-H",
            "Content-Type: application/json",
            "-d",
            r#"{"username": "a", "nickname": "b"}"#,
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], 2);
    assert_eq!(body["name"], "schema violation");
    assert_eq!(body["fields"], json!({"nickname": "unknown field"}));
    assert_eq!(
        body["message"],
        "schema violation (nickname: unknown field)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_types_every_field_reported() {
    let (server, _) = server("wrong-types").await;
    let (status, body) = refused(
        &server,
        &["-X", "POST", "/services", "-H", "Content-Type: application/json",
          "-d", r#"{"name": "s", "host": "h.internal", "port": "eighty", "retries": true, "tags": [1]}"#],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], 2);
    assert_eq!(body["fields"]["port"], "expected an integer");
    assert_eq!(body["fields"]["retries"], "expected an integer");
    assert_eq!(body["fields"]["tags"], json!(["expected a string"]));
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("3 schema violations")),
        "{body}"
    );
    // A form's strings are typed by the schema, and refused when they do not convert.
    let (status, body) = refused(
        &server,
        &[
            "-X",
            "POST",
            "/services",
            "-d",
            "host=h.internal",
            "-d",
            "port=eighty",
        ],
    )
    .await;
    assert_eq!(
        (status, &body["fields"]["port"]),
        (400, &json!("expected an integer"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_body() {
    let dir = temp_dir("oversized");
    let mut settings = AdminSettings::default();
    settings.max_body = 1024;
    let server = start_sqlite_with(&dir, Arc::new(ValidatingNode::default()), settings).await;
    let big = format!("username={}", "a".repeat(4096));
    let (status, body) = refused(&server, &["-X", "POST", "/consumers", "-d", &big]).await;
    assert_eq!(status, 413, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("too large"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_plugin() {
    let (server, _) = server("unknown-plugin").await;
    let (status, body) =
        refused(&server, &["-X", "POST", "/plugins", "-d", "name=mtls_auth"]).await;
    assert_eq!((status, &body["code"]), (400, &json!(2)));
    let message = body["fields"]["name"].as_str().unwrap_or_default();
    assert!(
        message.contains("not implemented") && message.contains("did you mean 'mtls-auth'"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_ca_as_ca_certificate() {
    let (server, pki) = server("non-ca").await;
    let file = format!("cert=@{}", s(&pki.leaf_not_ca));
    let (status, body) = refused(&server, &["/ca_certificates", "-F", &file]).await;
    assert_eq!((status, &body["code"]), (400, &json!(2)), "{body}");
    let entity = body["fields"]["@entity"][0].as_str().unwrap_or_default();
    assert!(entity.contains("CA"), "{body}");
    assert_eq!(body["message"], format!("schema violation ({entity})"));
    // Two PEM blocks.
    let two = format!(
        "{}{}",
        std::fs::read_to_string(&pki.root).unwrap_or_default(),
        std::fs::read_to_string(&pki.intermediate).unwrap_or_default()
    );
    let both = pki.dir.join("both.crt");
    std::fs::write(&both, two).expect("write");
    let (status, body) = refused(
        &server,
        &["/ca_certificates", "-F", &format!("cert=@{}", s(&both))],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["fields"]["@entity"].is_array(), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ca_still_referenced_on_delete() {
    let (server, pki) = server("ca-referenced").await;
    let (_, ca) = call(
        &server,
        &["/ca_certificates", "-F", &format!("cert=@{}", s(&pki.root))],
    )
    .await;
    let ca_id = ca["id"].as_str().expect("id").to_owned();
    let (status, plugin) = call(
        &server,
        &[
            "-X",
            "POST",
            "/plugins",
            "-d",
            "name=mtls-auth",
            "-d",
            &format!("config.ca_certificates={ca_id}"),
        ],
    )
    .await;
    assert_eq!(status, 201, "{plugin}");
    let (status, body) = refused(
        &server,
        &["-X", "DELETE", &format!("/ca_certificates/{ca_id}")],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], 19);
    assert_eq!(
        body["message"],
        format!(
            "ca certificate {ca_id} is still referenced by plugins (id = {})",
            plugin["id"].as_str().unwrap_or_default()
        )
    );
    // Once the plugin is gone, the CA goes (and a second DELETE is still 204).
    let (status, _) = call(
        &server,
        &[
            "-X",
            "DELETE",
            &format!("/plugins/{}", plugin["id"].as_str().unwrap_or_default()),
        ],
    )
    .await;
    assert_eq!(status, 204);
    for _ in 0..2 {
        let (status, _) = call(
            &server,
            &["-X", "DELETE", &format!("/ca_certificates/{ca_id}")],
        )
        .await;
        assert_eq!(status, 204);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_username_custom_id_and_cert_digest() {
    let (server, pki) = server("duplicates").await;
    let (status, _) = call(
        &server,
        &[
            "-X",
            "POST",
            "/consumers",
            "-d",
            "username=alice",
            "-d",
            "custom_id=A1",
        ],
    )
    .await;
    assert_eq!(status, 201);
    let (status, body) = refused(
        &server,
        &["-X", "POST", "/consumers", "-d", "username=alice"],
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(
        body,
        json!({"code": 5, "name": "unique constraint violation",
        "message": "UNIQUE violation detected on '{username=\"alice\"}'",
        "fields": {"username": "alice"}})
    );
    let (status, body) = refused(
        &server,
        &[
            "-X",
            "POST",
            "/consumers",
            "-d",
            "username=bob",
            "-d",
            "custom_id=A1",
        ],
    )
    .await;
    assert_eq!(
        (status, &body["fields"]),
        (409, &json!({"custom_id": "A1"}))
    );
    let file = format!("cert=@{}", s(&pki.root));
    let (status, ca) = call(&server, &["/ca_certificates", "-F", &file]).await;
    assert_eq!(status, 201);
    let (status, body) = refused(&server, &["/ca_certificates", "-F", &file]).await;
    assert_eq!(status, 409);
    assert_eq!(body["fields"], json!({"cert_digest": ca["cert_digest"]}));
    // The same plugin twice on the same scope.
    let ca_arg = format!(
        "config.ca_certificates={}",
        ca["id"].as_str().unwrap_or_default()
    );
    let (status, _) = call(
        &server,
        &[
            "-X",
            "POST",
            "/plugins",
            "-d",
            "name=mtls-auth",
            "-d",
            &ca_arg,
        ],
    )
    .await;
    assert_eq!(status, 201);
    let (status, body) = refused(
        &server,
        &[
            "-X",
            "POST",
            "/plugins",
            "-d",
            "name=mtls-auth",
            "-d",
            &ca_arg,
        ],
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(
        body["message"],
        "UNIQUE violation detected on '{consumer=null,name=\"mtls-auth\",route=null,service=null}'"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_uuids() {
    let (server, _) = server("uuids").await;
    let (status, body) = refused(
        &server,
        &[
            "-X",
            "POST",
            "/consumers",
            "-d",
            "username=a",
            "-d",
            "id=not-a-uuid",
        ],
    )
    .await;
    assert_eq!(
        (status, &body["fields"]),
        (400, &json!({"id": "expected a valid UUID"}))
    );
    let (status, body) = refused(
        &server,
        &[
            "-X",
            "POST",
            "/routes",
            "-d",
            "paths[]=/x",
            "-d",
            "service.id=12345",
        ],
    )
    .await;
    assert_eq!(
        (status, &body["fields"]),
        (400, &json!({"service": {"id": "expected a valid UUID"}})),
        "{body}"
    );
    // A well-formed id of nothing: Kong's foreign key violation.
    let missing = "8f4a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b";
    let (status, body) = refused(
        &server,
        &[
            "-X",
            "POST",
            "/routes",
            "-d",
            "paths[]=/x",
            "-d",
            &format!("service.id={missing}"),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], 4);
    assert_eq!(
        body["message"],
        format!(
            "the foreign key '{{id=\"{missing}\"}}' does not reference an existing 'services' entity."
        )
    );
    // In the URL: nothing found.
    let (status, body) = call(&server, &["/ca_certificates/not-a-uuid"]).await;
    assert_eq!((status, body), (404, json!({"message": "Not found"})));
    let (status, body) = call(&server, &["/certificates/unknown.example"]).await;
    assert_eq!((status, body), (404, json!({"message": "SNI not found"})));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn methods_media_types_and_unknown_paths() {
    let (server, _) = server("methods").await;
    let (status, body) = refused(&server, &["-X", "DELETE", "/consumers"]).await;
    assert_eq!(
        (status, body),
        (405, json!({"message": "Method not allowed"}))
    );
    let (status, body) = refused(
        &server,
        &[
            "-X",
            "POST",
            "/consumers",
            "-H",
            "Content-Type: text/plain",
            "-d",
            "username=a",
        ],
    )
    .await;
    assert_eq!(
        (status, body),
        (415, json!({"message": "Unsupported media type"}))
    );
    let (status, body) = call(&server, &["/upstreams"]).await;
    assert_eq!((status, body), (404, json!({"message": "Not found"})));
    let (status, _) = call(&server, &["/consumers/nobody"]).await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restricted_delete_and_entity_checks() {
    let (server, _) = server("restrict").await;
    call(
        &server,
        &[
            "-X",
            "POST",
            "/services",
            "-d",
            "name=s",
            "-d",
            "url=http://s.internal",
        ],
    )
    .await;
    let (status, _) = call(
        &server,
        &["-X", "POST", "/services/s/routes", "-d", "paths[]=/s"],
    )
    .await;
    assert_eq!(status, 201);
    let (status, body) = refused(&server, &["-X", "DELETE", "/services/s"]).await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"code": 4, "name": "foreign key violation",
        "message": "an existing 'routes' entity references this 'services' entity",
        "fields": {"@referenced_by": "routes"}})
    );
    // A consumer needs a username or a custom_id; a route needs something to match.
    let (status, body) = refused(&server, &["-X", "POST", "/consumers", "-d", "tags[]=x"]).await;
    assert_eq!((status, &body["code"]), (400, &json!(2)), "{body}");
    assert!(body["fields"]["@entity"].is_array(), "{body}");
    let (status, body) = refused(
        &server,
        &["-X", "POST", "/services/s/routes", "-d", "name=empty"],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["fields"]["@entity"][0]
            .as_str()
            .is_some_and(|m| m.contains("must set one of")),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_refusal_leaves_everything_unchanged() {
    let dir = temp_dir("node-refuses");
    let node = Arc::new(ValidatingNode::with_max_routes(1));
    let server = start_sqlite_with(&dir, node, AdminSettings::default()).await;
    call(
        &server,
        &[
            "-X",
            "POST",
            "/services",
            "-d",
            "name=s",
            "-d",
            "url=http://s.internal",
        ],
    )
    .await;
    let (status, _) = call(
        &server,
        &["-X", "POST", "/services/s/routes", "-d", "paths[]=/a"],
    )
    .await;
    assert_eq!(status, 201);
    let (status, body) = refused(
        &server,
        &["-X", "POST", "/services/s/routes", "-d", "paths[]=/b"],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["message"],
        "the configuration cannot be served: this node serves at most 1 routes"
    );
    let (_, routes) = call(&server, &["/routes"]).await;
    assert_eq!(routes["data"].as_array().map(Vec::len), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_sizes_and_offsets() {
    let (server, _) = server("pages").await;
    for i in 0..5 {
        let (status, _) = call(
            &server,
            &[
                "-X",
                "POST",
                "/consumers",
                "-d",
                &format!("username=user{i}"),
            ],
        )
        .await;
        assert_eq!(status, 201);
    }
    let (status, first) = call(&server, &["/consumers?size=2"]).await;
    assert_eq!(status, 200);
    assert_eq!(first["data"].as_array().map(Vec::len), Some(2));
    let mut seen: Vec<Value> = first["data"].as_array().cloned().unwrap_or_default();
    let mut next = first["next"].as_str().map(str::to_owned);
    let mut pages = 1;
    while let Some(link) = next {
        assert!(
            link.starts_with("/consumers?offset=") && link.ends_with("&size=2"),
            "{link}"
        );
        let (status, page) = call(&server, &[&link]).await;
        assert_eq!(status, 200);
        seen.extend(page["data"].as_array().cloned().unwrap_or_default());
        next = page["next"].as_str().map(str::to_owned);
        pages += 1;
        assert!(pages <= 3);
    }
    assert_eq!(seen.len(), 5);
    let (_, all) = call(&server, &["/consumers"]).await;
    assert_eq!(all["next"], Value::Null);
    assert_eq!(all["data"], Value::Array(seen));
    let (status, body) = call(&server, &["/consumers?size=0"]).await;
    assert_eq!((status, &body["code"]), (400, &json!(9)));
    assert_eq!(
        body["message"],
        "size must be an integer between 1 and 1000"
    );
    let (status, body) = call(&server, &["/consumers?size=abc"]).await;
    assert_eq!(
        (status, &body["message"]),
        (400, &json!("size must be a number"))
    );
    let (status, body) = call(&server, &["/consumers?offset=%%%"]).await;
    assert_eq!((status, &body["code"]), (400, &json!(7)));
    let (status, body) = call(&server, &["/consumers?custom_id="]).await;
    assert_eq!(status, 400, "{body}");
    let (_, empty) = call(&server, &["/acls"]).await;
    assert_eq!(empty, json!({"data": [], "next": null}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_merges_config_and_replaces_arrays() {
    let (server, pki) = server("patch").await;
    let mut ids = Vec::new();
    for file in [&pki.root, &pki.intermediate] {
        let (_, ca) = call(
            &server,
            &["/ca_certificates", "-F", &format!("cert=@{}", s(file))],
        )
        .await;
        ids.push(ca["id"].as_str().unwrap_or_default().to_owned());
    }
    let body = json!({"name": "mtls-auth", "config": {"ca_certificates": ids, "cache_ttl": 30}});
    let (status, plugin) = json_post(&server, "/plugins", &body.to_string()).await;
    assert_eq!(status, 201, "{plugin}");
    let path = format!("/plugins/{}", plugin["id"].as_str().unwrap_or_default());
    let patch = json!({"config": {"ca_certificates": [ids[1]], "revocation_check_mode": "STRICT"}});
    let (status, patched) = call(
        &server,
        &[
            "-X",
            "PATCH",
            &path,
            "-H",
            "Content-Type: application/json",
            "-d",
            &patch.to_string(),
        ],
    )
    .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["name"], "mtls-auth");
    assert_eq!(patched["config"]["ca_certificates"], json!([ids[1]]));
    assert_eq!(patched["config"]["cache_ttl"], 30);
    assert_eq!(patched["config"]["revocation_check_mode"], "STRICT");
    assert_eq!(patched["created_at"], plugin["created_at"]);
    // A bad PATCH changes nothing.
    let (status, _) = refused(
        &server,
        &["-X", "PATCH", &path, "-d", "config.cache_ttl=-1"],
    )
    .await;
    assert_eq!(status, 400);
    // PUT by instance name creates, then replaces.
    let put = json!({"name": "acl", "config": {"allow": ["a"]}});
    for expected in [201, 200] {
        let (status, body) = call(
            &server,
            &[
                "-X",
                "PUT",
                "/plugins/only-admins",
                "-H",
                "Content-Type: application/json",
                "-d",
                &put.to_string(),
            ],
        )
        .await;
        assert_eq!(status, expected, "{body}");
        assert_eq!(body["instance_name"], "only-admins");
    }
}
