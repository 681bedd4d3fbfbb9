//! Properties: the parsers never panic, what they read they read back, and flags win.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mtls_kong_conf::{Builder, known, parse_conf, parse_listeners};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn conf_text_parses_or_is_refused(text in "\\PC{0,400}") {
        if let Ok(lines) = parse_conf(&text, "k") {
            for l in lines {
                prop_assert!(!l.name.is_empty());
                prop_assert!(l.name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
                prop_assert!(l.line >= 1);
            }
        }
        let _ = Builder::new().kong_conf(&text, "k").build();
    }

    #[test]
    fn a_line_reads_back(name in "[a-z][a-z0-9_]{0,20}", value in "[^#\\\\\\n\\r]{0,40}") {
        let lines = parse_conf(&format!("{name} = {value}\n"), "k").unwrap();
        prop_assert_eq!(lines.len(), 1);
        prop_assert_eq!(&lines[0].name, &name);
        prop_assert_eq!(lines[0].value.as_str(), value.trim());
    }

    #[test]
    fn listeners_read_back(text in "[0-9a-z.:\\[\\], =]{0,60}") {
        if let Ok(listeners) = parse_listeners(&text) {
            let shown: Vec<String> = listeners.iter().map(ToString::to_string).collect();
            if !shown.is_empty() {
                prop_assert_eq!(parse_listeners(&shown.join(", ")).unwrap(), listeners);
            }
        }
    }

    #[test]
    fn flags_win_and_nothing_panics(
        vars in proptest::collection::vec(
            (proptest::sample::select(known::SUPPORTED), "[ -~]{0,30}"),
            0..8,
        ),
        level in proptest::sample::select(&["debug", "info", "warn", "error"][..]),
    ) {
        let env: Vec<(String, String)> = vars
            .into_iter()
            .map(|(n, v)| (format!("KONG_{}", n.to_ascii_uppercase()), v))
            .collect();
        let _ = Builder::new().env(env.clone()).build();
        // Even over an environment that sets log_level (validly or not).
        let with_flag = Builder::new()
            .env(env)
            .flag("log_level", level, "--log-level")
            .build();
        if let Ok(s) = with_flag {
            prop_assert_eq!(s.log_level.as_str(), level);
        }
    }
}
