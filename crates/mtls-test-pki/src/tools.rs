//! Command-line tools the tests drive (openssl, curl): whether they are installed.

use std::process::{Command, Stdio};

/// Whether `tool` runs (`TOOL --version` or `TOOL version`); prints a note when it does not,
/// or panics when `MTLS_REQUIRE_TOOLS` (a comma-separated list: CI sets `curl,openssl`)
/// names it, so that CI never skips a case silently.
///
/// # Panics
/// If `tool` is missing and `MTLS_REQUIRE_TOOLS` names it.
pub fn have(tool: &str) -> bool {
    let runs = |arg: &str| {
        Command::new(tool)
            .arg(arg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    };
    let ok = runs("--version") || runs("version");
    let required = std::env::var("MTLS_REQUIRE_TOOLS")
        .is_ok_and(|list| list.split(',').any(|t| t.trim() == tool));
    assert!(
        ok || !required,
        "`{tool}` is required (MTLS_REQUIRE_TOOLS names it) but does not run"
    );
    if !ok {
        println!("note: `{tool}` is not installed; skipping the cases that use it");
    }
    ok
}

/// Whether `openssl version` succeeds; when it does not, a note, or a panic if
/// `MTLS_REQUIRE_OPENSSL` is set (CI, where a skipped case would hide a failure).
///
/// # Panics
/// If openssl is missing and `MTLS_REQUIRE_OPENSSL` is set.
pub fn openssl_available() -> bool {
    let found = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("MTLS_REQUIRE_OPENSSL").is_none(),
            "openssl is required (MTLS_REQUIRE_OPENSSL is set) but not found"
        );
        eprintln!("openssl not found: skipped");
    }
    found
}
