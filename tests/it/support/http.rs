//! Plain HTTP/1.1 over raw TCP to a server on loopback, one connection per request
//! (`Connection: close`), so tests see exactly the bytes the daemon sends: no client library
//! that would retry, follow redirects or normalise headers.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// (status, headers lower-cased, body). Status 0 means nothing answered.
pub type Response = (u16, String, String);

/// How long a request waits for the server to close the connection: generous, because a slow
/// answer under load is not what these tests check, and a hung server still ends the test.
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// Send `raw` bytes to `port` and read until the server closes (or `wait` passes).
/// A refused connection gives status 0, so callers can poll for a server coming up.
pub fn raw(port: u16, raw: &[u8], wait: Duration) -> Response {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return (0, String::new(), String::new());
    };
    s.set_read_timeout(Some(wait)).unwrap();
    let _ = s.write_all(raw);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    parse_response(&out)
}

/// One request with a `Content-Length` body and the given extra headers.
pub fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Response {
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    raw(port, req.as_bytes(), READ_TIMEOUT)
}

pub fn get(port: u16, path: &str) -> Response {
    request(port, "GET", path, &[], "")
}

/// A form POST, as a browser sends one.
pub fn post_form(port: u16, path: &str, body: &str) -> Response {
    request(
        port,
        "POST",
        path,
        &[("Content-Type", "application/x-www-form-urlencoded")],
        body,
    )
}

/// Split a raw response into (status, head lower-cased, body).
pub fn parse_response(raw: &[u8]) -> Response {
    let text = String::from_utf8_lossy(raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, head.to_lowercase(), body.to_string())
}
