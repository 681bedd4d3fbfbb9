//! The `mtls` binary's inspect / verify / limbo interfaces: JSON shapes and exit codes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

use mtls_test_pki::{TempDir, email_san_leaf, intermediate, root};
use serde_json::Value;

fn mtls(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mtls"))
        .args(args)
        .output()
        .unwrap()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stdout));
    })
}

struct Pki {
    root: String,
    inter: String,
    leaf: String,
    other_root: String,
}

fn pki() -> Pki {
    let root = root("Root CA");
    let inter = intermediate("Issuing CA", &root);
    let leaf = email_san_leaf(&inter);
    Pki {
        root: root.pem(),
        inter: inter.pem(),
        leaf: leaf.pem(),
        other_root: mtls_test_pki::root("Other Root").pem(),
    }
}

#[test]
fn inspect_prints_one_object_or_an_array() {
    let pki = pki();
    let f = TempDir::new("inspect");
    let leaf = f.write_arg("leaf.pem", &pki.leaf);
    let out = mtls(&["inspect", &leaf]);
    assert!(out.status.success());
    let v = json(&out);
    assert_eq!(v["subject_dn"], "CN=kongclient");
    assert_eq!(v["issuer_dn"], "CN=Issuing CA");
    assert_eq!(v["common_name"], "kongclient");
    assert_eq!(v["is_ca"], false);
    assert_eq!(v["sans"][0]["type"], "email");
    assert_eq!(v["sans"][0]["value"], "client@example.test");
    assert_eq!(v["subject_names"][1], "kongclient");
    assert_eq!(v["sha256"].as_str().unwrap().len(), 64);
    assert!(v["not_after"].as_str().unwrap().ends_with('Z'));
    for key in ["subject_dn_slash", "serial", "sha1", "not_before"] {
        assert!(v[key].is_string(), "{key}");
    }
    let both = f.write_arg("both.pem", &format!("{}{}", pki.leaf, pki.inter));
    let v = json(&mtls(&["inspect", &both]));
    assert_eq!(v.as_array().unwrap().len(), 2);
    let junk = f.write_arg("junk.pem", "not a certificate");
    assert_eq!(mtls(&["inspect", &junk]).status.code(), Some(2));
    assert_eq!(
        mtls(&["inspect", "/nonexistent/file.pem"]).status.code(),
        Some(2)
    );
}

#[test]
fn verify_valid_invalid_and_usage() {
    let pki = pki();
    let f = TempDir::new("verify");
    let root = f.write_arg("root.pem", &pki.root);
    let other = f.write_arg("other.pem", &pki.other_root);
    let chain = f.write_arg("chain.pem", &format!("{}{}", pki.leaf, pki.inter));
    let leaf_only = f.write_arg("leaf.pem", &pki.leaf);
    let inter = f.write_arg("inter.pem", &pki.inter);

    let out = mtls(&["verify", "--ca", &root, "--cert", &chain]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let v = json(&out);
    assert_eq!(v["valid"], true);
    assert_eq!(v["error"], Value::Null);
    assert_eq!(v["path"][0], "CN=kongclient");
    assert_eq!(v["path"][2], "CN=Root CA");
    assert_eq!(v["anchor_sha256"].as_str().unwrap().len(), 64);

    let out = mtls(&[
        "verify",
        "--ca",
        &root,
        "--cert",
        &leaf_only,
        "--intermediate",
        &inter,
    ]);
    assert_eq!(out.status.code(), Some(0));

    let out = mtls(&["verify", "--ca", &other, "--cert", &chain]);
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["valid"], false);
    assert_eq!(v["error"], "unknown_issuer");
    assert_eq!(v["anchor_sha256"], Value::Null);

    let out = mtls(&[
        "verify",
        "--ca",
        &root,
        "--cert",
        &chain,
        "--at",
        "1970-01-02T00:00:00Z",
    ]);
    assert_eq!(json(&out)["error"], "not_yet_valid");

    let out = mtls(&[
        "verify",
        "--ca",
        &root,
        "--cert",
        &chain,
        "--max-depth",
        "0",
    ]);
    assert_eq!(json(&out)["error"], "depth_exceeded");

    assert_eq!(
        mtls(&[
            "verify",
            "--ca",
            &root,
            "--cert",
            &chain,
            "--at",
            "yesterday"
        ])
        .status
        .code(),
        Some(2)
    );
    assert_eq!(mtls(&["verify", "--cert", &chain]).status.code(), Some(2));
    assert_eq!(
        mtls(&[
            "verify",
            "--ca",
            &root,
            "--cert",
            &chain,
            "--purpose",
            "server"
        ])
        .status
        .code(),
        Some(2)
    );
}

#[test]
fn limbo_harness_contract() {
    let pki = pki();
    let case = |id: &str, trusted: &str, expected: &str| {
        serde_json::json!({
            "id": id, "features": [], "description": "", "validation_kind": "CLIENT",
            "trusted_certs": [trusted], "untrusted_intermediates": [pki.inter],
            "peer_certificate": pki.leaf, "validation_time": null,
            "signature_algorithms": [], "key_usage": [], "extended_key_usage": [],
            "expected_result": expected, "expected_peer_names": [], "crls": []
        })
    };
    let suite = serde_json::json!({"version": 1, "testcases": [
        case("good", &pki.root, "SUCCESS"),
        case("bad", &pki.other_root, "FAILURE"),
        case("diverges", &pki.other_root, "SUCCESS"),
    ]});
    let f = TempDir::new("limbo");
    let input = f.write_arg("suite.json", &suite.to_string());
    let exceptions = f.write_arg(
        "exceptions.txt",
        "# comment\ntest diverges FAILURE an expected divergence\n",
    );
    let run = |extra: &[&str]| {
        let mut args = vec!["limbo"];
        args.extend_from_slice(extra);
        Command::new(env!("CARGO_BIN_EXE_mtls"))
            .args(&args)
            .stdin(std::fs::File::open(Path::new(&input)).unwrap())
            .output()
            .unwrap()
    };
    let out = run(&[]);
    assert!(out.status.success());
    let v = json(&out);
    assert_eq!(v["harness"], "mtls");
    assert_eq!(
        v["results"][0]["actual_result"], "SUCCESS",
        "{}",
        v["results"][0]["context"]
    );
    assert_eq!(v["results"][1]["actual_result"], "FAILURE");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("2 passed, 1 failed, 0 skipped"), "{stderr}");
    assert!(
        run(&["--suite", "test", "--exceptions", &exceptions])
            .status
            .success()
    );
    // Under another suite name the divergence is unlisted: exit 1.
    assert_eq!(
        run(&["--suite", "other", "--exceptions", &exceptions])
            .status
            .code(),
        Some(1)
    );
}
