//! Arbitrary text as Kubernetes manifests never makes mtls-kubernetes panic: it translates
//! or reports problems, the same way twice, and a translation loads or is refused.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let first = mtls_kubernetes::translate_str(&text);
    let again = mtls_kubernetes::translate_str(&text);
    match (&first, &again) {
        (Ok(a), Ok(b)) => assert_eq!(a.document(), b.document()),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        _ => panic!("the same text translated once and failed once"),
    }
    let _ = mtls_kubernetes::is_manifests(&text);
    if let Ok(translation) = first {
        let _ = translation.to_kong_yaml();
        let _ = translation.load(&mtls_kong_config::Loader::new());
    }
});
