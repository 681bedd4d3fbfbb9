//! Arbitrary text as kong.conf (and as a listen value) never makes mtls-kong-conf panic, and
//! what it reads renders back to the same settings.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = mtls_kong_conf::parse_conf(&text, "fuzz.conf");
    if let Ok(listeners) = mtls_kong_conf::parse_listeners(&text) {
        let shown: Vec<String> = listeners.iter().map(ToString::to_string).collect();
        if !shown.is_empty() {
            assert_eq!(
                mtls_kong_conf::parse_listeners(&shown.join(", ")).ok(),
                Some(listeners)
            );
        }
    }
    if let Ok(settings) = mtls_kong_conf::Builder::new()
        .kong_conf(&text, "fuzz.conf")
        .build()
    {
        let rendered = settings.render();
        let again = mtls_kong_conf::Builder::new()
            .kong_conf(&rendered, "rendered")
            .build();
        if let Ok(again) = again {
            assert_eq!(again.proxy_listen, settings.proxy_listen);
            assert_eq!(again.log_level, settings.log_level);
        }
    }
});
