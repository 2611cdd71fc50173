//! Checks that a request's path is the one its operation's template allows.
//!
//! URL parsing resolves `.` and `..` segments and reads `\` as `/`, so a path
//! parameter such as `..` could otherwise move a request onto another
//! resource, with the caller's credentials. Matching the final path against
//! the spec's template segment by segment rules that out.

/// True when `path` (below the client's base path) fills `template`: the same
/// number of segments, literal text equal, every parameter non-empty.
pub fn matches_template(template: &str, path: &str) -> bool {
    let template: Vec<&str> = template.trim_start_matches('/').split('/').collect();
    let path: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    template.len() == path.len()
        && template
            .iter()
            .zip(&path)
            .all(|(t, p)| segment_matches(t, p))
}

/// Matches one segment such as `cwe.{ext}` or `{schemeId}` against a value.
fn segment_matches(template: &str, value: &str) -> bool {
    if !template.contains('{') {
        return template == value;
    }
    // Literal pieces between parameters: "owasp-{year}.{ext}" -> ["owasp-", ".", ""].
    let mut literals = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        literals.push(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            return false;
        };
        rest = &rest[open + close + 1..];
    }
    literals.push(rest);
    let Some(mut remaining) = value.strip_prefix(literals[0]) else {
        return false;
    };
    let last = literals.len() - 1;
    for (i, literal) in literals.iter().enumerate().skip(1) {
        // Each parameter takes at least one character.
        let found = if i == last {
            remaining
                .strip_suffix(literal)
                .filter(|param| !param.is_empty())
                .map(|_| "")
        } else {
            remaining
                .get(1..)
                .and_then(|tail| tail.find(literal).map(|at| &tail[at + literal.len()..]))
        };
        match found {
            Some(next) => remaining = next,
            None => return false,
        }
    }
    remaining.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_fill_whole_segments() {
        let t = "/rest/api/3/issuesecurityschemes/{schemeId}/level/{levelId}";
        assert!(matches_template(
            t,
            "/rest/api/3/issuesecurityschemes/10000/level/10021"
        ));
        // `..` resolved away, or `\` turned into `/`, changes the shape.
        assert!(!matches_template(
            t,
            "/rest/api/3/issuesecurityschemes/10000/"
        ));
        assert!(!matches_template(t, "/rest/api/3/project/APP"));
        assert!(!matches_template(
            t,
            "/rest/api/3/issuesecurityschemes/10000/level/a/b"
        ));
        assert!(!matches_template(
            t,
            "/rest/api/3/issuesecurityschemes//level/10021"
        ));
    }

    #[test]
    fn parameters_inside_segments() {
        let t = "/orgs/{orgID}/reports/owasp-{year}.{ext}";
        assert!(matches_template(t, "/orgs/o/reports/owasp-2021.html"));
        assert!(!matches_template(t, "/orgs/o/reports/owasp-.html"));
        assert!(!matches_template(t, "/orgs/o/reports/owasp-2021."));
        assert!(!matches_template(t, "/orgs/o/reports/other-2021.html"));
        assert!(matches_template("/scans/cwe.{ext}", "/scans/cwe.pdf"));
        assert!(!matches_template("/scans/cwe.{ext}", "/scans/cwe.pdf/x"));
    }
}
