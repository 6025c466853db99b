//! A parser for `Link` response headers (RFC 8288), used to follow pagination.
//!
//! The `<...>` part of each link is read character by character: URLs may contain
//! commas, so the header is never split on them.

use reqwest::header::{HeaderMap, LINK};
use url::Url;

/// One link of a `Link` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The target, resolved against the request's URL.
    pub url: Url,
    /// The relation types, lowercased (`rel="next prev"` gives two).
    pub rel: Vec<String>,
    /// The other parameters, in order: lowercased name, unquoted value (`""` when the
    /// parameter has no value).
    pub params: Vec<(String, String)>,
}

impl Link {
    /// Whether the link has this relation type (case-insensitive).
    pub fn has_rel(&self, rel: &str) -> bool {
        self.rel.iter().any(|r| r.eq_ignore_ascii_case(rel))
    }
}

/// A `Link` header that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid Link header: {reason} at byte {position}, near {near:?}")]
pub struct LinkError {
    reason: String,
    position: usize,
    near: String,
}

impl LinkError {
    fn new(reason: impl Into<String>, value: &str, position: usize) -> Self {
        let position = position.min(value.len());
        // `position` is always on a character boundary; stay safe anyway.
        let rest = value.get(position..).unwrap_or_default();
        let near: String = rest.chars().take(NEAR_CHARS).collect();
        Self {
            reason: reason.into(),
            position,
            near,
        }
    }

    /// What is wrong.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The byte offset in the header value where the problem was found.
    pub fn position(&self) -> usize {
        self.position
    }

    /// The offending text (the header from `position` on, shortened).
    pub fn near(&self) -> &str {
        &self.near
    }
}

/// How much of the offending text a [`LinkError`] keeps.
const NEAR_CHARS: usize = 60;

impl From<LinkError> for crate::error::Error {
    fn from(e: LinkError) -> Self {
        crate::error::Error::Decode {
            path: "Link header".to_owned(),
            message: e.to_string(),
        }
    }
}

/// A cursor over a header value.
struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<char> {
        self.text.get(self.pos..)?.chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t')) {
            self.pos += 1;
        }
    }

    /// Consumes characters while `keep` holds; returns them.
    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> &'a str {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if !keep(c) {
                break;
            }
            self.pos += c.len_utf8();
        }
        self.text.get(start..self.pos).unwrap_or_default()
    }

    fn error(&self, reason: impl Into<String>) -> LinkError {
        LinkError::new(reason, self.text, self.pos)
    }
}

/// Whether `c` may appear in a parameter name or unquoted value (an RFC 9110 token).
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// Whether `c` may appear in an unquoted parameter value (leniently).
fn is_unquoted_value_char(c: char) -> bool {
    !(c.is_control() || c.is_whitespace() || matches!(c, ';' | ',' | '"' | '<' | '>' | '\\'))
}

/// Parses a `Link` header value into its links, resolving relative URLs against `base`.
///
/// Empty list elements (`<a>; rel=next, , <b>`) are skipped, but a value with no
/// link at all (empty, blanks, only commas) is an error. Never panics.
pub fn parse_link_header(value: &str, base: &Url) -> Result<Vec<Link>, LinkError> {
    let mut cur = Cursor {
        text: value,
        pos: 0,
    };
    let mut links = Vec::new();
    loop {
        // Skip blanks and empty list elements.
        while matches!(cur.peek(), Some(' ' | '\t' | ',')) {
            cur.pos += 1;
        }
        match cur.peek() {
            None => break,
            Some('<') => links.push(parse_link(&mut cur, base)?),
            Some(_) => return Err(cur.error("expected `<` to start a link")),
        }
    }
    if links.is_empty() {
        return Err(cur.error("no link in the header"));
    }
    Ok(links)
}

/// Parses one link starting at `<`, up to (and including) the `,` that ends it.
fn parse_link(cur: &mut Cursor<'_>, base: &Url) -> Result<Link, LinkError> {
    let start = cur.pos;
    cur.bump(); // '<'
    let target = cur.take_while(|c| c != '>');
    if cur.bump() != Some('>') {
        return Err(LinkError::new(
            "unterminated `<`: no `>` closes the URL",
            cur.text,
            start,
        ));
    }
    let url = base
        .join(target.trim())
        .map_err(|e| LinkError::new(format!("invalid URL in link: {e}"), cur.text, start))?;
    let mut link = Link {
        url,
        rel: Vec::new(),
        params: Vec::new(),
    };
    let mut seen_rel = false;
    loop {
        cur.skip_ws();
        match cur.peek() {
            None => break,
            Some(',') => {
                cur.bump();
                break;
            }
            Some(';') => {
                cur.bump();
            }
            Some(_) => return Err(cur.error("expected `;` or `,` after a link")),
        }
        cur.skip_ws();
        if matches!(cur.peek(), None | Some(',' | ';')) {
            // An empty parameter (`<a>;` or `<a>; ; rel=next`): nothing to record.
            continue;
        }
        let (name, value) = parse_param(cur)?;
        if name == "rel" {
            // RFC 8288: only the first `rel` counts.
            if !seen_rel {
                seen_rel = true;
                link.rel = value
                    .split_ascii_whitespace()
                    .map(str::to_ascii_lowercase)
                    .collect();
            }
        } else {
            link.params.push((name, value));
        }
    }
    Ok(link)
}

/// Parses `name [= value]` where value is a token or a quoted string.
fn parse_param(cur: &mut Cursor<'_>) -> Result<(String, String), LinkError> {
    let name = cur.take_while(is_token_char);
    if name.is_empty() {
        return Err(cur.error("expected a parameter name"));
    }
    let name = name.to_ascii_lowercase();
    cur.skip_ws();
    if cur.peek() != Some('=') {
        return Ok((name, String::new()));
    }
    cur.bump();
    cur.skip_ws();
    let value = if cur.peek() == Some('"') {
        parse_quoted(cur)?
    } else {
        // Lenient: a token by the RFC, but unquoted media types (`type=text/html`)
        // are common, so take anything up to a delimiter.
        let v = cur.take_while(is_unquoted_value_char);
        if v.is_empty() && !matches!(cur.peek(), None | Some(',' | ';' | ' ' | '\t')) {
            return Err(cur.error(format!("invalid value for parameter `{name}`")));
        }
        v.to_owned()
    };
    Ok((name, value))
}

/// Parses a quoted string starting at `"`, handling `\` escapes.
fn parse_quoted(cur: &mut Cursor<'_>) -> Result<String, LinkError> {
    let start = cur.pos;
    cur.bump(); // '"'
    let mut out = String::new();
    loop {
        match cur.bump() {
            None => {
                return Err(LinkError::new(
                    "unterminated quoted string",
                    cur.text,
                    start,
                ));
            }
            Some('"') => return Ok(out),
            Some('\\') => match cur.bump() {
                Some(c) => out.push(c),
                None => {
                    return Err(LinkError::new(
                        "unterminated quoted string",
                        cur.text,
                        start,
                    ));
                }
            },
            Some(c) => out.push(c),
        }
    }
}

/// The URL of the first `rel="next"` link in the response's `Link` headers (there may
/// be several), or `None` when there is none: the last page.
///
/// Blank `Link` headers are ignored; a malformed one is an error, since silently
/// stopping would truncate a listing.
pub fn next_url(headers: &HeaderMap, base: &Url) -> Result<Option<Url>, LinkError> {
    for value in headers.get_all(LINK) {
        let text = std::str::from_utf8(value.as_bytes()).map_err(|e| {
            let valid = e.valid_up_to();
            let prefix = String::from_utf8_lossy(value.as_bytes().get(..valid).unwrap_or_default());
            LinkError::new("the header is not UTF-8", &prefix, valid)
        })?;
        if text.trim().is_empty() {
            continue;
        }
        if let Some(link) = parse_link_header(text, base)?
            .into_iter()
            .find(|l| l.has_rel("next"))
        {
            return Ok(Some(link.url));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn base() -> Url {
        Url::parse("https://huggingface.co/api/models?author=x").unwrap()
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    /// (header, expected links as (url, rels, params)).
    type Case = (
        &'static str,
        Vec<(
            &'static str,
            Vec<&'static str>,
            Vec<(&'static str, &'static str)>,
        )>,
    );

    #[test]
    fn valid_headers() {
        let cases: Vec<Case> = vec![
            (
                r#"<https://huggingface.co/api/models?author=x&cursor=eyJ>; rel="next""#,
                vec![(
                    "https://huggingface.co/api/models?author=x&cursor=eyJ",
                    vec!["next"],
                    vec![],
                )],
            ),
            (
                "<https://a.example/p2>; rel=next",
                vec![("https://a.example/p2", vec!["next"], vec![])],
            ),
            (
                r#"<https://a.example/p3>; rel="next", <https://a.example/p1>; rel="prev""#,
                vec![
                    ("https://a.example/p3", vec!["next"], vec![]),
                    ("https://a.example/p1", vec!["prev"], vec![]),
                ],
            ),
            (
                r#"<https://a.example/x>; rel="next prev"  "#,
                vec![("https://a.example/x", vec!["next", "prev"], vec![])],
            ),
            (
                r#"<https://a.example/x>; REL="Next""#,
                vec![("https://a.example/x", vec!["next"], vec![])],
            ),
            (
                r#"<https://a.example/x>; rel="next"; title="a, b"; type=text/html"#,
                vec![(
                    "https://a.example/x",
                    vec!["next"],
                    vec![("title", "a, b"), ("type", "text/html")],
                )],
            ),
            (
                r#"<https://a.example/x?ids=1,2,3&f=a,b>; rel="next", <https://a.example/y,z>; rel=last"#,
                vec![
                    ("https://a.example/x?ids=1,2,3&f=a,b", vec!["next"], vec![]),
                    ("https://a.example/y,z", vec!["last"], vec![]),
                ],
            ),
            (
                "</api/models?cursor=abc>; rel=\"next\"",
                vec![(
                    "https://huggingface.co/api/models?cursor=abc",
                    vec!["next"],
                    vec![],
                )],
            ),
            (
                "<?cursor=2>; rel=next",
                vec![(
                    "https://huggingface.co/api/models?cursor=2",
                    vec!["next"],
                    vec![],
                )],
            ),
            (
                "  \t< https://a.example/x >\t;\trel = \"next\" ;  anchor=\"#a\"  ,  ",
                vec![("https://a.example/x", vec!["next"], vec![("anchor", "#a")])],
            ),
            (
                r#"<https://a.example/x>; title="say \"hi\"\\"; rel=next"#,
                vec![(
                    "https://a.example/x",
                    vec!["next"],
                    vec![("title", "say \"hi\"\\")],
                )],
            ),
            (
                "<https://a.example/x>; rel=next; rel=prev; crossorigin",
                vec![(
                    "https://a.example/x",
                    vec!["next"],
                    vec![("crossorigin", "")],
                )],
            ),
            (
                "<https://a.example/x>, , <https://a.example/y>;; rel=next;",
                vec![
                    ("https://a.example/x", vec![], vec![]),
                    ("https://a.example/y", vec!["next"], vec![]),
                ],
            ),
            (
                "<https://a.example/é>; title=\"ünïcode\"; rel=next",
                vec![(
                    "https://a.example/%C3%A9",
                    vec!["next"],
                    vec![("title", "ünïcode")],
                )],
            ),
        ];
        for (header, want) in cases {
            let got =
                parse_link_header(header, &base()).unwrap_or_else(|e| panic!("{header:?}: {e}"));
            let want: Vec<Link> = want
                .into_iter()
                .map(|(u, r, p)| Link {
                    url: Url::parse(u).unwrap(),
                    rel: strings(&r),
                    params: pairs(&p),
                })
                .collect();
            assert_eq!(got, want, "{header:?}");
        }
    }

    #[test]
    fn garbage_is_an_error() {
        let cases = [
            ("", "no link", ""),
            ("   ", "no link", ""),
            (",,,", "no link", ""),
            (" , , ", "no link", ""),
            (
                "<https://a.example/x",
                "unterminated `<`",
                "<https://a.example/x",
            ),
            (
                "<https://a.example/x> rel=\"next\"",
                "expected `;` or `,`",
                "rel=\"next\"",
            ),
            (
                "https://a.example/x; rel=next",
                "expected `<`",
                "https://a.example/x",
            ),
            (
                "<https://a.example/x>; rel=\"next",
                "unterminated quoted",
                "\"next",
            ),
            ("<https://a.example/x>; =next", "parameter name", "=next"),
            (
                "<https://a.example/x>; rel=ne\"xt\"",
                "expected `;` or `,`",
                "\"xt\"",
            ),
            ("<https://a.example/x>; rel=<x>", "invalid value", "<x>"),
            ("<http://[::1>; rel=next", "invalid URL", "<http://[::1>"),
            (
                "<https://a.example/x>; rel=next garbage",
                "expected `;` or `,`",
                "garbage",
            ),
            (
                "<https://a.example/x>; title=\"a\\",
                "unterminated quoted",
                "\"a\\",
            ),
            ("<a> <b>", "expected `;` or `,`", "<b>"),
        ];
        for (header, reason, near) in cases {
            let e = parse_link_header(header, &base()).expect_err(header);
            assert!(e.reason().contains(reason), "{header:?}: {e}");
            assert!(
                e.near().starts_with(near),
                "{header:?}: near {:?}",
                e.near()
            );
            assert!(e.to_string().contains("invalid Link header"));
            assert!(e.position() <= header.len());
        }
    }

    #[test]
    fn error_converts_to_crate_error() {
        let e = parse_link_header("<x", &base()).unwrap_err();
        match crate::error::Error::from(e) {
            crate::error::Error::Decode { path, message } => {
                assert_eq!(path, "Link header");
                assert!(message.contains("unterminated"), "{message}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn long_near_text_is_shortened() {
        let header = format!("<{}", "é".repeat(500));
        let e = parse_link_header(&header, &base()).unwrap_err();
        assert_eq!(e.near().chars().count(), NEAR_CHARS);
    }

    fn header_map(values: &[&[u8]]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append(LINK, HeaderValue::from_bytes(v).unwrap());
        }
        map
    }

    #[test]
    fn next_url_across_headers() {
        let b = base();
        assert_eq!(next_url(&HeaderMap::new(), &b).unwrap(), None);
        let map = header_map(&[b"<https://a.example/p1>; rel=prev"]);
        assert_eq!(next_url(&map, &b).unwrap(), None);
        let map = header_map(&[
            b"<https://a.example/p1>; rel=prev",
            b"",
            b"<https://a.example/p3?c=1,2>; rel=\"last next\"",
        ]);
        assert_eq!(
            next_url(&map, &b).unwrap().map(String::from).as_deref(),
            Some("https://a.example/p3?c=1,2")
        );
        let map = header_map(&[b"</api/models?cursor=z>; rel=NEXT"]);
        assert_eq!(
            next_url(&map, &b).unwrap().map(String::from).as_deref(),
            Some("https://huggingface.co/api/models?cursor=z")
        );
        // A malformed header is reported, not taken for the last page.
        let map = header_map(&[b"<https://a.example/p1>; rel=prev", b"<broken"]);
        assert!(next_url(&map, &b).is_err());
        // The first `next` wins.
        let map =
            header_map(&[b"<https://a.example/a>; rel=next, <https://a.example/b>; rel=next"]);
        assert_eq!(
            next_url(&map, &b).unwrap().map(String::from).as_deref(),
            Some("https://a.example/a")
        );
    }

    #[test]
    fn next_url_rejects_non_utf8() {
        let map = header_map(&[b"<https://a.example/\xff>; rel=next"]);
        let e = next_url(&map, &base()).unwrap_err();
        assert!(e.reason().contains("UTF-8"), "{e}");
        assert_eq!(e.position(), "<https://a.example/".len());
    }

    /// xorshift64: deterministic pseudo-random bytes for the no-panic tests.
    fn rng(seed: u64) -> impl FnMut() -> u64 {
        let mut s = seed | 1;
        move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let b = base();
        let mut next = rng(0xDEAD_BEEF_CAFE_F00D);
        let alphabet = b"<>;,=\" \t\\/:?#&%abcnextrl\xc3\xa9\xff\x00";
        for _ in 0..3000 {
            let len = (next() % 80) as usize;
            let bytes: Vec<u8> = if next().is_multiple_of(2) {
                (0..len).map(|_| next() as u8).collect()
            } else {
                (0..len)
                    .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                    .collect()
            };
            let text = String::from_utf8_lossy(&bytes);
            let _ = parse_link_header(&text, &b);
            if let Ok(v) = HeaderValue::from_bytes(&bytes) {
                let mut map = HeaderMap::new();
                map.insert(LINK, v);
                let _ = next_url(&map, &b);
            }
        }
    }

    #[test]
    fn every_prefix_of_a_valid_header_is_handled() {
        let header =
            r#"<https://a.example/x?a=1,2>; rel="next prev"; title="a, \"b\"", </y>; rel=last; é"#;
        let b = base();
        for (i, _) in header.char_indices() {
            let _ = parse_link_header(&header[..i], &b);
            let _ = parse_link_header(&header[i..], &b);
        }
    }
}
