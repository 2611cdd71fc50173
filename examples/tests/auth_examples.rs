//! The Forge Remote and OAuth 2.0 examples run offline against the sandbox.

/// Runs an example with an empty environment: the sandbox plays Atlassian.
fn run(binary: &str) -> String {
    let output = std::process::Command::new(binary)
        .env_clear()
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn forge_remote_accepts_a_signed_invocation_and_refuses_an_unsigned_one() {
    let stdout = run(env!("CARGO_BIN_EXE_forge-remote"));
    assert!(
        stdout.contains(r#"sandbox: 200 OK {"accepted":1"#),
        "{stdout}"
    );
    assert!(stdout.contains("unsigned token: 401"), "{stdout}");
}

#[test]
fn oauth_3lo_runs_the_whole_flow_and_shows_the_rotation() {
    let stdout = run(env!("CARGO_BIN_EXE_oauth-3lo"));
    assert!(stdout.contains("issue security schemes"), "{stdout}");
    assert!(
        stdout.contains("storing the new refresh token ***"),
        "{stdout}"
    );
    assert!(
        stdout.contains("refused") && stdout.contains("invalid_grant"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("oauth-refresh-") && !stdout.contains("oauth-access-"),
        "{stdout}"
    );
}
