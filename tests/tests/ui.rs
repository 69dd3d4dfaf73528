//! The compile-fail suite: every mistake in a tree or a `#[child]` is a
//! compile error on the offending token, in a sentence that says what to
//! do. One `TestCases` so all cases build in one pass.

#[test]
fn compile_errors() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/fail/*.rs");
}
