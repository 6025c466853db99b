//! Every endpoint the official clients call and the Hub's document leaves out is bound.
//!
//! `tests/fixtures/unbound-endpoints.md` is the committed copy of the survey of the official
//! Python and JS clients (`../shared/docs/unbound-endpoints.md` when it was written): sections
//! 1–13 name each route as `` `METHOD /path` ``, and section 14 the routes bound for too few
//! repository types. Each must match an operation of the inventory ([`OPERATIONS`]), but the
//! exclusions below, each with its reason.

use hf_hub_api::operations::{OPERATIONS, Origin};

const METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];

/// Routes of the survey deliberately left unbound, and why.
const EXCLUDED: &[(&str, &str)] = &[(
    "HEAD /api/telemetry/{topic}",
    "usage telemetry of the Python client: fire-and-forget, no answer to read, and a library \
     must not report its users' activity on its own",
)];

fn survey() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/unbound-endpoints.md"
    ))
    .unwrap()
}

/// The text of sections `from..=to` (`### N.` headings).
fn sections(text: &str, from: u32, to: u32) -> String {
    let mut out = String::new();
    let mut on = false;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("### ") {
            let n: u32 = rest
                .split('.')
                .next()
                .and_then(|n| n.trim().parse().ok())
                .unwrap_or(0);
            on = (from..=to).contains(&n);
        }
        if on {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Every `` `METHOD /path` `` in `text`, and `` `GET` / `HEAD /path` `` as two routes.
fn routes(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let spans: Vec<&str> = text.split('`').collect();
    // Inside backticks are the odd pieces.
    for (i, span) in spans.iter().enumerate().filter(|(i, _)| i % 2 == 1) {
        let Some((method, path)) = span.split_once(' ') else {
            continue;
        };
        if !METHODS.contains(&method) || !path.starts_with('/') {
            continue;
        }
        out.push((method.to_string(), path.to_string()));
        // `` `POST` / `DELETE /path` ``: the method alone before, then ` / `.
        if let (Some(between), Some(before)) = (spans.get(i - 1), spans.get(i.wrapping_sub(2)))
            && between.trim() == "/"
            && METHODS.contains(before)
        {
            out.push((before.to_string(), path.to_string()));
        }
    }
    out
}

/// The survey's spellings in the inventory's: `{repo_id}` is `{namespace}/{repo}`, and an
/// optional `[{repoType}/]` prefix stands for the prefixless (model) and the prefixed routes.
fn expand(path: &str) -> Vec<String> {
    let path = path
        .replace("{repo_id}", "{namespace}/{repo}")
        .replace("{bucket_id}", "{namespace}/{repo}")
        .replace("{ns}", "{namespace}");
    if let Some(rest) = path.strip_prefix("/[{repoType}/]") {
        return ["", "datasets/", "spaces/"]
            .iter()
            .flat_map(|p| expand(&format!("/{p}{rest}")))
            .collect();
    }
    // Any other `[…]` is an optional part (`{repo}[/revision/{rev}]`).
    match (path.find('['), path.find(']')) {
        (Some(open), Some(close)) if open < close => {
            let (head, tail) = (&path[..open], &path[close + 1..]);
            let optional = &path[open + 1..close];
            let mut out = expand(&format!("{head}{tail}"));
            out.extend(expand(&format!("{head}{optional}{tail}")));
            out
        }
        _ => vec![path],
    }
}

const TYPES: &[&str] = &["models", "datasets", "spaces", "kernels"];

/// Whether one path segment of the survey matches one of the inventory: equal, both made of
/// parameters and the same literals (`{title}-{id}` and `{slug}-{id}`), or a repository type
/// written as a parameter on one side.
fn segment_matches(survey: &str, bound: &str) -> bool {
    let shape = |s: &str| {
        let mut out = String::new();
        let mut in_param = false;
        for c in s.chars() {
            match c {
                '{' => {
                    in_param = true;
                    out.push_str("{}");
                }
                '}' => in_param = false,
                c if !in_param => out.push(c),
                _ => {}
            }
        }
        out
    };
    survey == bound
        || shape(survey) == shape(bound)
        || (bound == "{repoType}" && TYPES.contains(&survey))
        || (survey == "{repoType}" && TYPES.contains(&bound))
}

fn path_matches(survey: &str, bound: &str) -> bool {
    let a: Vec<&str> = survey.split('/').collect();
    let b: Vec<&str> = bound.split('/').collect();
    a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| segment_matches(x, y))
}

fn bound(method: &str, path: &str) -> Option<&'static hf_hub_api::operations::Operation> {
    OPERATIONS
        .iter()
        .find(|op| op.method == method && path_matches(path, op.path))
}

#[test]
fn the_survey_is_read() {
    let text = survey();
    let listed = routes(&sections(&text, 1, 13));
    // 30 routes in sections 1–13 (the survey counts 28 + 6 unbound in the two clients, some
    // shared); a change of format would make this fall.
    assert!(listed.len() >= 30, "{listed:#?}");
    assert!(listed.contains(&("GET".into(), "/api/spaces/{repo_id}/runtime".into())));
    assert!(listed.contains(&(
        "HEAD".into(),
        "/[{repoType}/]{repo_id}/resolve/{rev}/{path}".into()
    )));
    let kernels = routes(&sections(&text, 14, 14));
    assert!(kernels.contains(&(
        "DELETE".into(),
        "/api/kernels/{repo_id}/branch/{rev}".into()
    )));
    assert!(kernels.contains(&("HEAD".into(), "/kernels/{repo_id}/raw/{rev}/{path}".into())));
    // The matcher tells routes apart.
    assert!(path_matches(
        "/api/collections/{namespace}/{title}-{id}/items/{itemId}",
        "/api/collections/{namespace}/{slug}-{id}/items/{itemId}"
    ));
    assert!(!path_matches(
        "/api/collections/{namespace}/{title}-{id}/items/{itemId}",
        "/api/collections/{namespace}/{slug}/items/{slug}"
    ));
    assert!(bound("GET", "/api/nothing/like/this").is_none());
}

#[test]
fn every_route_of_sections_1_to_13_is_bound() {
    let text = survey();
    let mut missing = Vec::new();
    let mut seen_excluded = Vec::new();
    for (method, path) in routes(&sections(&text, 1, 13)) {
        let key = format!("{method} {path}");
        if let Some((_, why)) = EXCLUDED.iter().find(|(r, _)| *r == key) {
            assert!(!why.is_empty());
            seen_excluded.push(key);
            continue;
        }
        for p in expand(&path) {
            match bound(&method, &p) {
                Some(op) => assert_ne!(
                    op.origin,
                    Origin::Document,
                    "{method} {p} was surveyed as undocumented but is bound from the document \
                     ({}): the survey is out of date",
                    op.name
                ),
                None => missing.push(format!("{method} {p}")),
            }
        }
    }
    assert!(missing.is_empty(), "unbound:\n{}", missing.join("\n"));
    for (route, _) in EXCLUDED {
        assert!(
            seen_excluded.iter().any(|s| s == route),
            "{route} is excluded but no longer in the survey"
        );
    }
}

#[test]
fn kernels_and_space_access_requests_are_bound() {
    let text = survey();
    let mut missing = Vec::new();
    for (method, path) in routes(&sections(&text, 14, 14)) {
        // Section 14.3 shows the tree root without its trailing wildcard: the wildcard
        // operation requests that form for an empty folder (see tests/every_operation.rs).
        let path = if path.ends_with("/tree/{rev}") || path.ends_with("/tree") {
            format!("{path}/{{path}}")
        } else {
            path
        };
        for p in expand(&path) {
            if bound(&method, &p).is_none() {
                missing.push(format!("{method} {p}"));
            }
        }
    }
    // 14.1 writes the handle and grant routes as `POST …/handle`: the full paths.
    for (method, path) in [
        (
            "POST",
            "/api/spaces/{namespace}/{repo}/user-access-request/handle",
        ),
        (
            "POST",
            "/api/spaces/{namespace}/{repo}/user-access-request/grant",
        ),
    ] {
        if bound(method, path).is_none() {
            missing.push(format!("{method} {path}"));
        }
    }
    assert!(missing.is_empty(), "unbound:\n{}", missing.join("\n"));
}
