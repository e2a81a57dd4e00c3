//! The first request head of a connection, read and judged before hyper sees it: it must arrive
//! whole within the header timeout (slowloris), fit the size limits, and parse. A head that
//! fails gets our own error page with the security headers (hyper's own 400, 414 and 431 carry
//! none); one that passes is handed to hyper together with the bytes already read.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};

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
fn judge_partial(buf: &[u8]) -> Result<(), HeadError> {
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

/// A complete head (ending in the blank line): within the limits, and a request hyper will
/// take. The checks hyper would refuse with a bare 400 are made here.
pub fn judge(head: &[u8]) -> Result<(), HeadError> {
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
    Ok(())
}

/// A stream that first yields bytes already read from it, then reads on.
pub struct Prefixed<S> {
    prefix: Vec<u8>,
    at: usize,
    inner: S,
}

impl<S> Prefixed<S> {
    pub fn new(prefix: Vec<u8>, inner: S) -> Self {
        Prefixed {
            prefix,
            at: 0,
            inner,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Prefixed<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.at < self.prefix.len() {
            let n = buf.remaining().min(self.prefix.len() - self.at);
            let at = self.at;
            buf.put_slice(&self.prefix[at..at + n]);
            self.at += n;
            if self.at == self.prefix.len() {
                self.prefix = Vec::new();
                self.at = 0;
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Prefixed<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_are_judged() {
        assert_eq!(judge(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"), Ok(()));
        assert_eq!(
            judge(b"POST /u/t HTTP/1.1\r\nContent-Length: 12\r\n\r\n"),
            Ok(())
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
    async fn the_bytes_read_are_replayed() {
        let (mut a, b) = tokio::io::duplex(64);
        tokio::io::AsyncWriteExt::write_all(&mut a, b"GET / HTTP/1.1\r\n\r\nBODY")
            .await
            .unwrap();
        drop(a);
        let mut b = b;
        let head = read_first_head(&mut b, Duration::from_secs(5))
            .await
            .unwrap();
        let mut p = Prefixed::new(head, b);
        let mut all = Vec::new();
        p.read_to_end(&mut all).await.unwrap();
        assert_eq!(all, b"GET / HTTP/1.1\r\n\r\nBODY");
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
