//! The `appsec-sandbox` binary's command line: every knob of the
//! configuration is listed by `--help`, and bad values are refused with
//! exit code 2 before anything listens.

use std::process::Command;

fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_appsec-sandbox"))
        .args(args)
        .env_clear()
        .output()
        .unwrap()
}

#[test]
fn help_lists_faults_delays_rate_limits_and_sizes() {
    let out = run(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--port",
        "--seed",
        "--findings",
        "--level-members",
        "--connect-scopes",
        "--rate-limited",
        "--retry-after",
        "--omit-retry-after",
        "--unavailable",
        "--dropped",
        "--dropped-after-processing",
        "--delay-ms",
        "--quota",
        "--window",
        "--burst-read",
        "--burst-write",
        "--beta-headers",
    ] {
        assert!(help.contains(flag), "{flag} in {help}");
    }
}

#[test]
fn bad_values_are_refused_before_listening() {
    for args in [
        &["--unavailable", "1.5"][..],
        &["--rate-limited", "0.6", "--unavailable", "0.6"],
        &["--window", "60"],
        &["--findings", "many"],
    ] {
        let out = run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
    }
}
