//! Checks that a request's path is the one its operation's template allows.
//!
//! URL parsing resolves `.` and `..` segments and reads `\` as `/`, so a path
//! parameter such as `..` could otherwise move a request onto another
//! resource, with the caller's credentials. Matching the final path against
//! the spec's template segment by segment rules that out.

/// True when `path` (below the client's base path) fills `template`: the same
/// number of segments, literal text equal, every parameter non-empty.
pub fn matches_template(template: &str, path: &str) -> bool {
    // Byte scans rather than `split`: this runs on every request.
    let mut template = template.trim_start_matches('/');
    let mut path = path.trim_start_matches('/');
    // The whole segments before the first parameter are plain text: one
    // comparison covers them.
    let literal = match template.find('{') {
        None => return template == path,
        Some(brace) => template[..brace].rfind('/').map_or(0, |slash| slash + 1),
    };
    match path.strip_prefix(&template[..literal]) {
        Some(rest) => (template, path) = (&template[literal..], rest),
        None => return false,
    }
    loop {
        let (t, t_rest) = next_segment(template);
        let (p, p_rest) = next_segment(path);
        if !segment_matches(t, p) {
            return false;
        }
        match (t_rest, p_rest) {
            (None, None) => return true,
            (Some(t), Some(p)) => (template, path) = (t, p),
            _ => return false,
        }
    }
}

/// The first segment of `path` and what follows its `/`, if anything does.
fn next_segment(path: &str) -> (&str, Option<&str>) {
    match path.bytes().position(|b| b == b'/') {
        Some(at) => (&path[..at], Some(&path[at + 1..])),
        None => (path, None),
    }
}

/// Matches one segment such as `cwe.{ext}` or `{schemeId}` against a value.
fn segment_matches(template: &str, value: &str) -> bool {
    let braces = template.bytes().filter(|&b| b == b'{').count();
    if braces == 0 {
        return template == value;
    }
    // The common case, a whole-segment parameter such as `{schemeId}`.
    if braces == 1 && template.starts_with('{') && template.ends_with('}') {
        return !value.is_empty();
    }
    // The literal pieces around the parameters: "owasp-{year}.{ext}" has
    // "owasp-" before the first, "." after it and "" after the last.
    let mut pieces = template.split('{');
    let first = pieces.next().unwrap_or("");
    let Some(mut remaining) = value.strip_prefix(first) else {
        return false;
    };
    let mut literals = pieces.map(|piece| piece.split_once('}').map(|(_, after)| after));
    let mut next = literals.next();
    while let Some(literal) = next {
        let Some(literal) = literal else {
            return false; // an unclosed `{`
        };
        next = literals.next();
        // Each parameter takes at least one character.
        let found = if next.is_none() {
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
            Some(rest) => remaining = rest,
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
    fn literal_templates_and_leading_parameters() {
        let t = "/rest/api/3/issuesecurityschemes";
        assert!(matches_template(t, "/rest/api/3/issuesecurityschemes"));
        assert!(!matches_template(t, "/rest/api/3/issuesecurityschemes/"));
        assert!(!matches_template(t, "/rest/api/3/issuesecurityscheme"));
        assert!(matches_template("/{org}/apps", "/o1/apps"));
        assert!(!matches_template("/{org}/apps", "//apps"));
        // The text before the first parameter must match up to a `/`.
        assert!(!matches_template(
            "/rest/api/3/securitylevel/{id}",
            "/rest/api/3/securitylevelX/10021"
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
