//! The Admin API's form decoding (mtls_kong_config::form): arbitrary `key=value&...` input,
//! decoded into nested records and arrays, then typed by the route and plugin schemas.
//! It must never panic, and its output must stay within the pair and depth limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mtls_kong_config::Kind;
use mtls_kong_config::form::{coerce, decode_pairs};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let pairs = text.split('&').map(|pair| pair.split_once('=').unwrap_or((pair, "")));
    let Ok(mut value) = decode_pairs(pairs) else {
        return;
    };
    let fields = mtls_kong_config::plugins::config_fields("mtls-auth");
    coerce(&mut value, Kind::Route.schema().fields, fields);
    coerce(&mut value, Kind::Plugin.schema().fields, fields);
    let _ = value.to_string();
});
