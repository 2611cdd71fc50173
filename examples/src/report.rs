//! How every example binary ends: exit code 0 when it did its job, 1 when a
//! call failed, 2 for usage or configuration problems, and any error printed
//! as one sentence with its causes, never as a `Debug` dump.

use std::error::Error;
use std::fmt;
use std::process::ExitCode;

/// A configuration problem the example itself finds (a variable the SDK
/// does not read, such as `QWIET_ORG_ID`); exits with 2 like the SDK's own.
#[derive(Debug)]
pub struct Usage(pub String);

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Error for Usage {}

/// The error and each cause it wraps, joined by `: `. A cause whose text
/// the line already holds is left out: `appsec_sdk::Error` already quotes
/// the transport failure behind it.
pub fn sentence(error: &(dyn Error + 'static)) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        source = cause.source();
    }
    line
}

/// True for errors the user fixes in the command line or the environment.
pub fn is_usage(error: &(dyn Error + 'static)) -> bool {
    if error.is::<Usage>() || error.is::<appsec_runtime::ConfigError>() {
        return true;
    }
    matches!(
        error.downcast_ref::<appsec_sdk::Error>(),
        Some(appsec_sdk::Error::Env(_) | appsec_sdk::Error::Config(_))
    )
}

/// The exit code for `result`, after printing its error on stderr.
pub fn exit(result: Result<(), Box<dyn Error>>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", sentence(error.as_ref()));
            if is_usage(error.as_ref()) {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_are_joined_once() {
        let io = std::io::Error::other("connection refused");
        #[derive(Debug)]
        struct Outer(std::io::Error, bool);
        impl fmt::Display for Outer {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                if self.1 {
                    write!(f, "the call failed: {}", self.0)
                } else {
                    f.write_str("the call failed")
                }
            }
        }
        impl Error for Outer {
            fn source(&self) -> Option<&(dyn Error + 'static)> {
                Some(&self.0)
            }
        }
        let plain = Outer(std::io::Error::other("connection refused"), false);
        assert_eq!(sentence(&plain), "the call failed: connection refused");
        let quoting = Outer(io, true);
        assert_eq!(sentence(&quoting), "the call failed: connection refused");
    }

    #[test]
    fn configuration_errors_exit_with_2() {
        let env: Box<dyn Error> = Box::new(appsec_sdk::Error::Env(
            appsec_sdk::env::EnvError::Missing("JIRA_BASE_URL"),
        ));
        assert!(is_usage(env.as_ref()));
        let usage: Box<dyn Error> = Box::new(Usage("bad".into()));
        assert!(is_usage(usage.as_ref()));
        let other: Box<dyn Error> = Box::new(appsec_sdk::Error::Timeout("slow".into()));
        assert!(!is_usage(other.as_ref()));
    }
}
