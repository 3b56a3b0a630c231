//! Compile-time diagnostics of `portkey_config!`: every file in `ui/portkey/`
//! makes one mistake (`reports_every_error.rs` makes three, to prove all are
//! reported at once), and its `.stderr` is the reviewed error the user sees:
//! at the offending key or value, with the allowed values.
//!
//! `tests/tests/portkey_config_agreement.rs` feeds the same JSON to
//! `PortkeyConfig::from_json` and checks it gives the same errors.
//!
//! `TRYBUILD=overwrite cargo test -p fastagentic-tests --test compile_fail_portkey`
//! rewrites the `.stderr` files; review the diff like code.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/portkey/*.rs");
}
