//! Compile-time diagnostics of `#[agent_endpoint]` and `#[hook]`: every file in
//! `ui/` makes one mistake, and its `.stderr` is the reviewed error the user sees.
//! Programs in `ui/pass/` use every key and form and must compile.
//!
//! `TRYBUILD=overwrite cargo test -p fastagentic-tests --test compile_fail`
//! rewrites the `.stderr` files; review the diff like code.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/*.rs");
    t.pass("ui/pass/*.rs");
}
