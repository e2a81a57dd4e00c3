//! The first request head of a connection, read and judged before hyper sees it: it must arrive
//! whole within the header timeout (slowloris), fit the size limits, and parse. A head that
//! fails gets our own error page with the security headers (hyper's own 400, 414 and 431 carry
//! none); one that passes is handed to hyper together with the bytes already read. Every later
//! head of the connection is judged the same way by [`super::requests`].

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

/// The longest request target we serve; every real link is far shorter.
pub const MAX_URI_BYTES: usize = 4 * 1024;
/// The largest request head (request line and headers) we read.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;
/// The most header fields a request may carry.
pub const MAX_HEADERS: usize = 64;

/// Why a head was refused, and the status that says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HeadError {
    #[error("the request head did not arrive in time")]
    Timeout,
    #[error("the connection closed before a request arrived")]
    Closed,
    #[error("the request target is too long")]
    UriTooLong,
    #[error("the request head is too large")]
    TooLarge,
    #[error("the request is malformed")]
    Malformed,
}

impl HeadError {
    /// The response for the client, if it is still there to read one.
    pub fn status(self) -> Option<(u16, &'static str)> {
        match self {
            HeadError::Timeout => Some((408, "Request Timeout")),
            HeadError::Closed => None,
            HeadError::UriTooLong => Some((414, "URI Too Long")),
            HeadError::TooLarge => Some((431, "Request Header Fields Too Large")),
            HeadError::Malformed => Some((400, "Bad Request")),
        }
    }
}

/// Read from `io` until the first head is complete (or refused), within `timeout`. Returns
/// every byte read, which may run past the head into the body or a pipelined request.
pub async fn read_first_head<S: AsyncRead + Unpin>(
    io: &mut S,
    timeout: Duration,
) -> Result<Vec<u8>, HeadError> {
    match tokio::time::timeout(timeout, read_head(io)).await {
        Ok(r) => r,
        Err(_) => Err(HeadError::Timeout),
    }
}

async fn read_head<S: AsyncRead + Unpin>(io: &mut S) -> Result<Vec<u8>, HeadError> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        let n = io.read(&mut chunk).await.map_err(|_| HeadError::Closed)?;
        if n == 0 {
            return Err(HeadError::Closed);
        }
        let searched_from = buf.len().saturating_sub(3);
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = find(&buf[searched_from..], b"\r\n\r\n").map(|i| searched_from + i + 4) {
            judge(&buf[..end])?;
            return Ok(buf);
        }
        judge_partial(&buf)?;
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Limits that can be judged before the head is complete, so a client cannot make us buffer
/// more than the limits by never finishing.
pub(super) fn judge_partial(buf: &[u8]) -> Result<(), HeadError> {
    // Lines end in CRLF. A bare LF would otherwise leave the head without its end (a blank
    // CRLF line) until the timeout, with no answer.
    if buf
        .iter()
        .enumerate()
        .any(|(i, &b)| b == b'\n' && (i == 0 || buf[i - 1] != b'\r'))
    {
        return Err(HeadError::Malformed);
    }
    let line = find(buf, b"\r\n").unwrap_or(buf.len());
    // Method, spaces and "HTTP/1.1" are a few bytes beyond the target.
    if line > MAX_URI_BYTES + 32 {
        return Err(HeadError::UriTooLong);
    }
    if buf.len() > MAX_HEAD_BYTES {
        return Err(HeadError::TooLarge);
    }
    Ok(())
}

/// How the body after a head is framed, so the next head can be found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    None,
    Length(u64),
    Chunked,
    /// A transfer coding other than chunked last: hyper refuses it, and what follows cannot be
    /// framed.
    Unknown,
}

/// A complete head (ending in the blank line): within the limits, and a request hyper will
/// take; how its body is framed. The checks hyper would refuse with a bare 400 are made here.
pub fn judge(head: &[u8]) -> Result<Body, HeadError> {
    judge_partial(head)?;
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => return Err(HeadError::Malformed),
        Err(httparse::Error::TooManyHeaders) => return Err(HeadError::TooLarge),
        Err(_) => return Err(HeadError::Malformed),
    }
    if req.path.is_some_and(|p| p.len() > MAX_URI_BYTES) {
        return Err(HeadError::UriTooLong);
    }
    if req.version != Some(1) && req.version != Some(0) {
        return Err(HeadError::Malformed);
    }
    if req
        .path
        .is_none_or(|p| p.parse::<axum::http::Uri>().is_err())
    {
        return Err(HeadError::Malformed);
    }
    let mut lengths = req
        .headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("content-length"));
    let chunked = req
        .headers
        .iter()
        .any(|h| h.name.eq_ignore_ascii_case("transfer-encoding"));
    let length = lengths.next();
    // One Content-Length, all digits; never beside Transfer-Encoding (request smuggling).
    if lengths.next().is_some()
        || length.is_some_and(|h| {
            h.value.is_empty() || !h.value.iter().all(u8::is_ascii_digit) || chunked
        })
    {
        return Err(HeadError::Malformed);
    }
    let codings: Vec<&[u8]> = req
        .headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("transfer-encoding"))
        .flat_map(|h| h.value.split(|&b| b == b','))
        .map(<[u8]>::trim_ascii)
        .collect();
    Ok(match (codings.last(), length) {
        (Some(last), _) if last.eq_ignore_ascii_case(b"chunked") => Body::Chunked,
        (Some(_), _) => Body::Unknown,
        (None, Some(h)) => std::str::from_utf8(h.value)
            .ok()
            .and_then(|v| v.parse().ok())
            .map_or(Body::Unknown, Body::Length),
        (None, None) => Body::None,
    })
}

/// A refusal written straight to the socket, with the security headers every response
/// carries, closing the connection.
pub fn refusal(code: u16, reason: &str) -> Vec<u8> {
    use super::security::{CSP, SECURITY_HEADERS};
    let body = format!("{code} {reason}\n");
    let mut out = format!(
        "HTTP/1.1 {code} {reason}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\ncontent-security-policy: {CSP}\r\n",
        body.len()
    );
    for (name, value) in SECURITY_HEADERS {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(&body);
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_are_judged() {
        assert_eq!(
            judge(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"),
            Ok(Body::None)
        );
        assert_eq!(
            judge(b"POST /u/t HTTP/1.1\r\nContent-Length: 12\r\n\r\n"),
            Ok(Body::Length(12))
        );
        assert_eq!(
            judge(b"POST /u/t HTTP/1.1\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n"),
            Ok(Body::Chunked)
        );
        assert_eq!(
            judge(b"POST /u/t HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"),
            Ok(Body::Unknown)
        );
        assert_eq!(
            judge(b"GET / HTTP/1.1\nHost: x\n\n"),
            Err(HeadError::Malformed)
        );
        assert_eq!(
            judge_partial(b"GET / HTTP/1.1\r\nHost: x\n"),
            Err(HeadError::Malformed)
        );
        assert_eq!(judge(b"GARBAGE\r\n\r\n"), Err(HeadError::Malformed));
        assert_eq!(
            judge(b"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n"),
            Err(HeadError::Malformed)
        );
        assert_eq!(
            judge(b"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
            Err(HeadError::Malformed)
        );
        let long = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(MAX_URI_BYTES));
        assert_eq!(judge(long.as_bytes()), Err(HeadError::UriTooLong));
        let big = format!(
            "GET / HTTP/1.1\r\nX: {}\r\n\r\n",
            "a".repeat(MAX_HEAD_BYTES)
        );
        assert_eq!(judge(big.as_bytes()), Err(HeadError::TooLarge));
        let many: String = (0..=MAX_HEADERS).map(|i| format!("X{i}: y\r\n")).collect();
        assert_eq!(
            judge(format!("GET / HTTP/1.1\r\n{many}\r\n").as_bytes()),
            Err(HeadError::TooLarge)
        );
    }

    #[tokio::test]
    async fn a_slow_head_times_out() {
        let (mut a, mut b) = tokio::io::duplex(64);
        tokio::io::AsyncWriteExt::write_all(&mut a, b"GET / HTTP/1.1\r\nX: ")
            .await
            .unwrap();
        let r = read_first_head(&mut b, Duration::from_millis(50)).await;
        assert_eq!(r, Err(HeadError::Timeout));
    }
}
