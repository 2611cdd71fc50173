//! `generate --check` against a scratch copy of the workspace.

use std::path::Path;

use xtask::{Mode, Outcome, TARGETS, generate_all};

fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

/// Copies every spec and generated file into a temporary root.
fn scratch_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for target in TARGETS {
        for file in [
            target.spec.to_string(),
            format!("{}/src/generated.rs", target.crate_dir),
        ] {
            let to = dir.path().join(&file);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(workspace().join(&file), to).unwrap();
        }
    }
    dir
}

#[test]
fn committed_code_matches_specs_and_an_edit_is_caught() {
    let root = scratch_copy();
    let report = generate_all(root.path(), Mode::Check).unwrap();
    assert!(report.is_clean(), "committed code drifted:\n{report}");

    let spec = root.path().join(TARGETS[0].spec);
    let text = std::fs::read_to_string(&spec).unwrap();
    let edited = text.replacen(
        "operationId: getIssueSecuritySchemes",
        "operationId: listSchemes",
        1,
    );
    assert_ne!(text, edited, "the edit must change the spec");
    std::fs::write(&spec, edited).unwrap();

    let report = generate_all(root.path(), Mode::Check).unwrap();
    assert!(!report.is_clean());
    let (_, outcome) = &report.outcomes[0];
    let Outcome::Drift(diff) = outcome else {
        panic!("expected drift, got {outcome:?}");
    };
    assert!(diff.contains("list_schemes"), "{diff}");
    assert!(report.to_string().contains("cargo xtask generate"));
}

#[test]
fn an_unsupported_construct_names_the_operation() {
    let root = scratch_copy();
    let spec = root.path().join(TARGETS[0].spec);
    let text = std::fs::read_to_string(&spec).unwrap();
    // Give getIssueSecurityLevel a request body in a media type progenitor cannot send.
    let anchor = "      operationId: getIssueSecurityLevel\n";
    assert!(text.contains(anchor));
    let broken = text.replacen(
        anchor,
        &format!("{anchor}      requestBody:\n        content:\n          application/xml:\n            schema:\n              type: object\n"),
        1,
    );
    std::fs::write(&spec, broken).unwrap();
    let err = generate_all(root.path(), Mode::Check)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("getIssueSecurityLevel (GET /rest/api/3/securitylevel/{id})"),
        "{err}"
    );
    assert!(err.contains("application/xml"), "{err}");
}

#[test]
fn every_operation_progenitor_emits_is_in_the_operation_table() {
    for target in TARGETS {
        let text =
            std::fs::read_to_string(workspace().join(target.crate_dir).join("src/generated.rs"))
                .unwrap();
        let file = syn::parse_file(&text).unwrap();
        let emitted = xtask::rewrite::operation_ids(&file);
        assert!(!emitted.is_empty(), "{}", target.crate_dir);
        let table = text
            .split("pub const OPERATIONS")
            .nth(1)
            .expect("the table is generated");
        for id in &emitted {
            assert!(
                table.contains(&format!("id: \"{id}\",")),
                "{}: `{id}` is sent but not in the table",
                target.crate_dir
            );
        }
        assert_eq!(
            table.matches("::appsec_runtime::OperationMeta {").count(),
            emitted.len(),
            "{}: one table entry per emitted operation",
            target.crate_dir
        );
    }
}

#[test]
fn generated_string_enums_keep_unknown_values() {
    let text = std::fs::read_to_string(workspace().join("crates/qwiet/src/generated.rs")).unwrap();
    // typify's own string-enum derives are gone: every one decodes through the runtime.
    assert!(!text.contains("_ => Err(\"invalid value\".into()),"));
    assert!(text.contains("::appsec_runtime::open_enum::deserialize(deserializer)"));
    assert!(!text.contains("\"api-version\""));
}
