//! One test per body encoding: JSON, form-urlencoded (dotted keys, `a[]`, `a[N]`, repeated
//! keys, `""` as null, booleans and numbers typed by the schema) and multipart (fields and
//! files), each checked in the stored entity.
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_bodies_keep_their_types() {
    let server = start_sqlite(&temp_dir("enc-json")).await;
    let body = json!({"name": "s", "host": "s.internal", "port": 8080, "retries": 2,
                      "tags": ["a", "b"], "tls_verify": null});
    let (status, service) = call(
        &server,
        &[
            "-X",
            "POST",
            "/services",
            "-H",
            "Content-Type: application/json",
            "-d",
            &body.to_string(),
        ],
    )
    .await;
    assert_eq!(status, 201, "{service}");
    assert_eq!(
        (service["port"].clone(), service["retries"].clone()),
        (json!(8080), json!(2))
    );
    assert_eq!(service["tags"], json!(["a", "b"]));
    assert_eq!(service["tls_verify"], Value::Null);
    // JSON strings are not converted: a string port is a type error.
    let (status, body) = call(
        &server,
        &[
            "-X",
            "POST",
            "/services",
            "-H",
            "Content-Type: application/json",
            "-d",
            r#"{"host": "x.internal", "port": "80"}"#,
        ],
    )
    .await;
    assert_eq!(
        (status, &body["fields"]["port"]),
        (400, &json!("expected an integer"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_bodies_nest_and_are_typed_by_the_schema() {
    let server = start_sqlite(&temp_dir("enc-form")).await;
    let (status, _) = call(
        &server,
        &[
            "-X",
            "POST",
            "/services",
            "-d",
            "name=s",
            "-d",
            "host=s.internal",
            "-d",
            "port=8443",
            "-d",
            "protocol=https",
            "-d",
            "tls_verify=false",
            "-d",
            "path=",
        ],
    )
    .await;
    assert_eq!(status, 201);
    let (status, route) = call(
        &server,
        &[
            "-X",
            "POST",
            "/routes",
            "-d",
            "name=r",
            "-d",
            "service.name=s",
            "-d",
            "paths[]=/a",
            "-d",
            "paths[]=/b",
            "-d",
            "hosts[2]=b.example",
            "-d",
            "hosts[1]=a.example",
            "-d",
            "methods=GET",
            "-d",
            "methods=POST",
            "-d",
            "strip_path=false",
            "-d",
            "regex_priority=7",
            "-d",
            "headers.x-env=prod",
            "-d",
            "snis=",
        ],
    )
    .await;
    assert_eq!(status, 201, "{route}");
    assert_eq!(route["paths"], json!(["/a", "/b"]));
    assert_eq!(route["hosts"], json!(["a.example", "b.example"]));
    assert_eq!(route["methods"], json!(["GET", "POST"]));
    assert_eq!(route["strip_path"], false);
    assert_eq!(route["regex_priority"], 7);
    assert_eq!(route["headers"], json!({"x-env": ["prod"]}));
    assert_eq!(route["snis"], Value::Null);
    let (_, service) = call(&server, &["/services/s"]).await;
    assert_eq!(route["service"]["id"], service["id"]);
    assert_eq!(
        (
            service["port"].clone(),
            service["tls_verify"].clone(),
            service["path"].clone()
        ),
        (json!(8443), json!(false), Value::Null)
    );
    // A plugin's config fields are typed by the plugin's own schema.
    let (status, plugin) = call(
        &server,
        &[
            "-X",
            "POST",
            "/routes/r/plugins",
            "-d",
            "name=acl",
            "-d",
            "config.allow=admins",
            "-d",
            "config.hide_groups_header=true",
        ],
    )
    .await;
    assert_eq!(status, 201, "{plugin}");
    assert_eq!(plugin["config"]["allow"], json!(["admins"]));
    assert_eq!(plugin["config"]["hide_groups_header"], true);
    assert_eq!(plugin["route"]["id"], route["id"]);
    // --data-urlencode: percent-encoded keys and values.
    let (status, consumer) = call(
        &server,
        &[
            "-X",
            "POST",
            "/consumers",
            "--data-urlencode",
            "username=a b@example.com",
            "--data-urlencode",
            "tags[]=x&y",
        ],
    )
    .await;
    assert_eq!(status, 201, "{consumer}");
    assert_eq!(consumer["username"], "a b@example.com");
    assert_eq!(consumer["tags"], json!(["x&y"]));
    let (status, found) = call(&server, &["/consumers/a%20b%40example.com"]).await;
    assert_eq!((status, &found["id"]), (200, &consumer["id"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_fields_and_files() {
    let dir = temp_dir("enc-multipart");
    let pki = pki(&dir);
    let server = start_sqlite(&dir).await;
    let (status, ca) = call(
        &server,
        &[
            "/ca_certificates",
            "-F",
            &format!("cert=@{}", s(&pki.root)),
            "-F",
            "tags=root",
        ],
    )
    .await;
    assert_eq!(status, 201, "{ca}");
    assert_eq!(ca["tags"], json!(["root"]));
    assert_eq!(
        ca["cert"].as_str().map(str::trim),
        Some(pki.root_pem.trim())
    );
    let (status, plugin) = call(
        &server,
        &[
            "/plugins",
            "-F",
            "name=mtls-auth",
            "-F",
            &format!(
                "config.ca_certificates={}",
                ca["id"].as_str().unwrap_or_default()
            ),
            "-F",
            "config.cache_ttl=15",
            "-F",
            "enabled=false",
        ],
    )
    .await;
    assert_eq!(status, 201, "{plugin}");
    assert_eq!(plugin["config"]["cache_ttl"], 15);
    assert_eq!(plugin["enabled"], false);
    let (status, _) = call(&server, &["/consumers", "-F", "username=kongclient"]).await;
    assert_eq!(status, 201);
    let (status, mapping) = call(
        &server,
        &[
            "/consumers/kongclient/mtls-auth",
            "-F",
            "subject_name=client@example.test",
        ],
    )
    .await;
    assert_eq!((status, &mapping["ca_certificate"]), (201, &Value::Null));
}
