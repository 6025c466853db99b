//! The floor under any client of the pagination bench: the listing fetched with a bare
//! `TcpStream` (HTTP/1.0, bodies not parsed).

use std::hint::black_box;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use super::{AnyResult, PAGE};

/// One raw `GET` (HTTP/1.0, a fresh connection, no client library): (link header, body).
fn raw_get(endpoint: &url::Url, path_and_query: &str) -> AnyResult<(Option<String>, Vec<u8>)> {
    let host = endpoint.host_str().ok_or("no host")?;
    let port = endpoint.port().ok_or("no port")?;
    let mut s = TcpStream::connect((host, port))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        s,
        "GET {path_and_query} HTTP/1.0\r\nHost: {host}\r\nAccept: application/json\r\n\r\n"
    )?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    let head_end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no end of headers")?;
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    if !head.starts_with("HTTP/1.1 200") && !head.starts_with("HTTP/1.0 200") {
        return Err(format!(
            "raw GET {path_and_query}: {}",
            head.lines().next().unwrap_or("")
        )
        .into());
    }
    let link = head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case("link").then(|| v.trim().to_owned())
    });
    Ok((link, buf.split_off(head_end + 4)))
}

/// The path and query of a `Link: <url>; rel="next"` value.
fn next_path(link: &str) -> Option<String> {
    let part = link.split(',').find(|p| p.contains("rel=\"next\""))?;
    let url = url::Url::parse(part.split_once('<')?.1.split_once('>')?.0).ok()?;
    Some(match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    })
}

/// The floor under any client: the whole listing fetched raw, page by page, bodies not
/// parsed. Returns (pages, seconds, the first page's body).
pub(crate) fn raw_listing(endpoint: &str, max_pages: u64) -> AnyResult<(u64, f64, Vec<u8>)> {
    let endpoint = url::Url::parse(endpoint)?;
    let mut path = Some(format!("/api/models?limit={PAGE}"));
    let (mut pages, mut first) = (0u64, Vec::new());
    let start = Instant::now();
    while let Some(p) = path.take() {
        if pages >= max_pages {
            return Err("the raw listing has more pages than expected".into());
        }
        let (link, body) = raw_get(&endpoint, &p)?;
        if pages == 0 {
            first = body;
        } else {
            black_box(&body);
        }
        pages += 1;
        path = link.as_deref().and_then(next_path);
    }
    Ok((pages, start.elapsed().as_secs_f64(), first))
}
