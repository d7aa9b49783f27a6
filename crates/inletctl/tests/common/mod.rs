//! What every command-line test needs: running `inletctl` against a stack.

use inlet_testkit::TestStack;
use std::process::Command;

/// Runs `inletctl` with the stack's API address and admin token; whether
/// it succeeded, and what it printed (stdout, then stderr).
pub fn inletctl(stack: &TestStack, args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_inletctl"))
        .args(["--api", &stack.api_url(""), "--token", &stack.admin_token])
        .args(args)
        .output()
        .expect("running inletctl");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}
