//! `x-pagination` markings are checked against what progenitor generated.

use std::path::Path;

use xtask::render::render_spec;

const SPEC: &str = "specs/jira-issue-security.yaml";
const MARKING: &str = "x-pagination: {style: offset, position: startAt, size: maxResults, items: values, start_at: startAt, max_results: maxResults, total: total, is_last: isLast}";

fn spec() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    std::fs::read_to_string(root.join(SPEC)).unwrap()
}

/// The spec with getSecurityLevels' marking replaced by `marking`.
fn marked(marking: &str) -> String {
    let text = spec();
    let anchor = format!("      operationId: getSecurityLevels\n      {MARKING}\n");
    assert!(text.contains(&anchor), "getSecurityLevels is marked");
    text.replacen(
        &anchor,
        &format!("      operationId: getSecurityLevels\n      {marking}\n"),
        1,
    )
}

#[test]
fn every_jira_page_bean_listing_is_marked() {
    let code = render_spec(SPEC, &spec()).unwrap();
    let code = code.split_whitespace().collect::<Vec<_>>().join(" ");
    for builder in [
        "GetSecurityLevels",
        "GetSecurityLevelMembers",
        "GetIssueSecurityLevelMembers",
        "SearchSecuritySchemes",
        "SearchProjectsUsingSecuritySchemes",
    ] {
        assert!(
            code.contains(&format!("OffsetListing for {builder}<'a>")),
            "{builder} is not paginated"
        );
    }
}

#[test]
fn a_marking_that_does_not_fit_the_operation_names_it() {
    let cases = [
        (
            MARKING.replace("position: startAt", "position: startFrom"),
            "query parameter `startFrom`",
        ),
        (
            MARKING.replace("items: values", "items: entries"),
            "has no field `entries`",
        ),
        (
            MARKING.replace("total: total", "total: isLast"),
            "not an integer",
        ),
        (MARKING.replace(", is_last: isLast", ""), "needs `is_last`"),
        (
            MARKING.replace("style: offset", "style: pages"),
            "unknown style",
        ),
        (
            MARKING.replace("total: total", "total: total, next_page: nextPage"),
            "`next_page` does not apply",
        ),
    ];
    for (marking, expected) in cases {
        let err = render_spec(SPEC, &marked(&marking))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("operation getSecurityLevels") && err.contains(expected),
            "{marking}: {err}"
        );
    }
}
