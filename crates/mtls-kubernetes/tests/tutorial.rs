//! Tutorial A step 9: the Kubernetes manifest, translated and loaded, from text, from a file
//! and from a ConfigMap-like directory.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use mtls_kong_config::{Loader, PluginConfig};
use mtls_kubernetes::{Translator, Warning, translate_path, translate_str};
use support::*;
use uuid::Uuid;

#[test]
fn tutorial_manifest_translates_and_loads() {
    let root = ca("Tutorial Root");
    let manifest = tutorial(&root.pem, "127.0.0.1", 18080);
    let translation = translate_str(&manifest).unwrap();
    let (config, warnings) = translation.load(&Loader::new()).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");

    // The CA keeps the Secret's id.
    let ca_id: Uuid = CA_ID.parse().unwrap();
    assert_eq!(config.ca_certificates().len(), 1);
    assert_eq!(config.ca_certificates()[0].id, ca_id);

    // One service, at the EndpointSlice's address and port.
    let service = config.service_by_name("default.echo.80").expect("service");
    assert_eq!(service.host, "127.0.0.1");
    assert_eq!(service.port, 18080);
    assert_eq!(service.path.as_deref(), Some("/"));
    assert!(!service.uses_tls());

    // One route, as Kong's controller names and shapes it, on that service.
    let route = config
        .route_by_name("default.echo.echo..80")
        .expect("route");
    assert_eq!(route.service, Some(service.id));
    assert_eq!(route.paths, ["/mtls/", "~/mtls$"]);
    assert!(route.strip_path, "konghq.com/strip-path: \"true\"");
    assert!(route.preserve_host);
    assert!(route.hosts.is_empty());
    assert!(route.tags.iter().any(|t| t == "k8s-kind:Ingress"));

    // mtls-auth on that route, with the CA id.
    let plugins: Vec<_> = config.plugins_on_route(route.id).collect();
    assert_eq!(plugins.len(), 1);
    assert_eq!(plugins[0].scope.route, Some(route.id));
    assert_eq!(plugins[0].scope.service, None);
    match &plugins[0].config {
        PluginConfig::MtlsAuth(c) => assert_eq!(c.auth.ca_certificates, [ca_id]),
        other => panic!("not mtls-auth: {other:?}"),
    }
    assert_eq!(config.plugins().len(), 1);

    // The consumer.
    let consumers: Vec<_> = config.consumers().collect();
    assert_eq!(consumers.len(), 1);
    assert_eq!(consumers[0].username.as_deref(), Some("alice@example.com"));

    // The Deployment is skipped, and said so.
    let skipped = translation
        .warnings()
        .iter()
        .find_map(|w| match w {
            Warning::Skipped { counts } => Some(counts.clone()),
            _ => None,
        })
        .expect("a skipped summary");
    assert_eq!(skipped.get("Deployment"), Some(&1));
    assert_eq!(skipped.values().sum::<usize>(), 1, "{skipped:?}");
}

#[test]
fn same_manifest_same_document_and_ids() {
    let root = ca("Tutorial Root");
    let manifest = tutorial(&root.pem, "127.0.0.1", 18080);
    let a = translate_str(&manifest).unwrap();
    let b = translate_str(&manifest).unwrap();
    assert_eq!(a.document(), b.document());
    let (ca_config, _) = a.load(&Loader::new()).unwrap();
    let (cb_config, _) = b.load(&Loader::new()).unwrap();
    let ids = |c: &mtls_kong_config::Config| c.entities().map(|e| e.id()).collect::<Vec<_>>();
    assert_eq!(ids(&ca_config), ids(&cb_config));

    // Reordering the documents changes nothing.
    let mut docs: Vec<&str> = manifest.split("\n---\n").collect();
    docs.reverse();
    let reversed = translate_str(&docs.join("\n---\n")).unwrap();
    assert_eq!(reversed.document(), a.document());
}

#[test]
fn kong_yaml_output_loads_to_the_same_configuration() {
    let root = ca("Tutorial Root");
    let translation = translate_str(&tutorial(&root.pem, "127.0.0.1", 18080)).unwrap();
    let yaml = translation.to_kong_yaml();
    assert!(yaml.contains("_format_version"));
    let (from_yaml, _) = mtls_kong_config::load_str(&yaml).unwrap();
    let (direct, _) = translation.load(&Loader::new()).unwrap();
    assert_eq!(from_yaml.to_document(), direct.to_document());
}

#[test]
fn configmap_volume_directory() {
    // A ConfigMap volume: each key a symbolic link to `..data/KEY`, `..data` a link to a
    // timestamped directory, swapped atomically on update.
    let root = ca("Tutorial Root");
    let manifest = tutorial(&root.pem, "127.0.0.1", 18080);
    let (crds, rest) = manifest.split_at(manifest.find("apiVersion: configuration").unwrap());
    let dir = std::env::temp_dir().join(format!("mtls-k8s-cm-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let stamp = dir.join("..2026_01_01_00_00_00.000000001");
    std::fs::create_dir_all(&stamp).unwrap();
    std::fs::write(stamp.join("a-workload.yaml"), crds).unwrap();
    std::fs::write(stamp.join("b-kong.yml"), rest).unwrap();
    std::fs::write(stamp.join("README.txt"), "not a manifest").unwrap();
    std::os::unix::fs::symlink(stamp.file_name().unwrap(), dir.join("..data")).unwrap();
    for name in ["a-workload.yaml", "b-kong.yml", "README.txt"] {
        std::os::unix::fs::symlink(format!("..data/{name}"), dir.join(name)).unwrap();
    }
    let from_dir = translate_path(&dir).unwrap();
    let from_text = translate_str(&manifest).unwrap();
    assert_eq!(from_dir.document(), from_text.document());
    assert!(from_dir.warnings().iter().any(|w| matches!(
        w,
        Warning::FilesNotRead { paths } if paths.len() == 1 && paths[0].ends_with("README.txt")
    )));
    // One file works too.
    let one = translate_path(dir.join("b-kong.yml")).unwrap();
    assert!(one.document().get("plugins").is_some());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn ingress_class_choice() {
    let root = ca("Tutorial Root");
    let manifest = tutorial(&root.pem, "127.0.0.1", 18080);
    // Another class: the Ingress and the (annotated) KongConsumer are not taken.
    let other = Translator::new().ingress_classes(["internal"]);
    let t = other.translate_str(&manifest).unwrap();
    assert!(t.document().get("services").is_none());
    assert!(t.document().get("consumers").is_none());
    let Some(Warning::Skipped { counts }) = t
        .warnings()
        .iter()
        .find(|w| matches!(w, Warning::Skipped { .. }))
    else {
        panic!("no summary");
    };
    assert_eq!(counts.get("Ingress (ingress class kong)"), Some(&1));
    assert_eq!(counts.get("KongConsumer (ingress class kong)"), Some(&1));
    assert_eq!(counts.get("KongPlugin (not referenced)"), Some(&1));

    // Objects without a class are taken unless told otherwise.
    let unclassed = manifest.replace("  ingressClassName: kong\n", "");
    assert!(
        translate_str(&unclassed)
            .unwrap()
            .document()
            .get("services")
            .is_some()
    );
    let strict = Translator::new().take_unclassed(false);
    let t = strict.translate_str(&unclassed).unwrap();
    assert!(t.document().get("services").is_none());
}

#[test]
fn detection() {
    let root = ca("Tutorial Root");
    assert!(mtls_kubernetes::is_manifests(&tutorial(
        &root.pem,
        "127.0.0.1",
        1
    )));
    assert!(!mtls_kubernetes::is_manifests(
        "_format_version: \"3.0\"\nservices: []\n"
    ));
    assert!(!mtls_kubernetes::is_manifests(
        "{\"_format_version\": \"3.0\"}"
    ));
    assert!(!mtls_kubernetes::is_manifests(": : not yaml ["));
    assert!(mtls_kubernetes::is_manifests(
        "---\n---\napiVersion: v1\nkind: Secret\n"
    ));
}
