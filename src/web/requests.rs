//! The stream hyper reads a connection from, with every request head judged before hyper
//! parses it. Hyper answers a head it cannot parse with its own bare 400 (no security headers),
//! and [`super::head`] only sees the first head of a connection; so this stream follows the
//! requests as they go by (a head, then its body by `Content-Length` or chunk by chunk) and
//! hands hyper only what it has judged. A head that fails is never handed on: hyper sees the
//! connection end after the requests before it, answers those, and when it closes the
//! connection our refusal (with the headers) is written last.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::head::{Body, HeadError, judge, judge_partial};

/// Where the stream is in the sequence of requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    Head,
    /// Bytes of a sized body left.
    Body(u64),
    /// A chunk-size line.
    ChunkSize,
    /// Bytes of a chunk's data left, with its closing CRLF.
    ChunkData(u64),
    /// The trailer section after the last chunk.
    Trailers,
    /// What follows cannot be framed (a transfer coding hyper refuses, a broken chunk): passed
    /// on as it is, for hyper to refuse.
    Lost,
}

/// The framing of a request stream: how much of what was read may be handed on.
#[derive(Debug)]
pub struct Framing {
    at: At,
}

impl Default for Framing {
    fn default() -> Self {
        Framing { at: At::Head }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

impl Framing {
    /// How many bytes from the start of `buf` (everything read and not yet handed on) are
    /// whole, judged parts of requests, and the head after them that failed, if one did.
    pub fn advance(&mut self, buf: &[u8]) -> (usize, Option<HeadError>) {
        let mut done = 0;
        match self.advance_from(buf, &mut done) {
            Ok(()) => (done, None),
            Err(e) => (done, Some(e)),
        }
    }

    fn advance_from(&mut self, buf: &[u8], done: &mut usize) -> Result<(), HeadError> {
        loop {
            let rest = &buf[*done..];
            if rest.is_empty() {
                return Ok(());
            }
            match self.at {
                At::Lost => {
                    *done = buf.len();
                    return Ok(());
                }
                At::Head => match find(rest, b"\r\n\r\n") {
                    Some(i) => {
                        let end = i + 4;
                        self.at = match judge(&rest[..end])? {
                            Body::None | Body::Length(0) => At::Head,
                            Body::Length(n) => At::Body(n),
                            Body::Chunked => At::ChunkSize,
                            Body::Unknown => At::Lost,
                        };
                        *done += end;
                    }
                    None => {
                        judge_partial(rest)?;
                        return Ok(());
                    }
                },
                At::Body(n) => {
                    let take = n.min(rest.len() as u64);
                    *done += take as usize;
                    self.at = if take == n {
                        At::Head
                    } else {
                        At::Body(n - take)
                    };
                }
                At::ChunkData(n) => {
                    let take = n.min(rest.len() as u64);
                    *done += take as usize;
                    self.at = if take == n {
                        At::ChunkSize
                    } else {
                        At::ChunkData(n - take)
                    };
                }
                At::ChunkSize => match find(rest, b"\r\n") {
                    Some(i) => {
                        let line = &rest[..i];
                        let size = line.split(|&b| b == b';').next().unwrap_or_default();
                        let size = std::str::from_utf8(size).ok().and_then(|s| {
                            u64::from_str_radix(s.trim_matches([' ', '\t']), 16).ok()
                        });
                        self.at = match size {
                            Some(0) => At::Trailers,
                            Some(n) => At::ChunkData(n.saturating_add(2)),
                            None => At::Lost,
                        };
                        *done += i + 2;
                    }
                    None if rest.len() > 1024 => self.at = At::Lost,
                    None => return Ok(()),
                },
                At::Trailers => match find(rest, b"\r\n") {
                    // The blank line ends the trailers, and the request.
                    Some(0) => {
                        self.at = At::Head;
                        *done += 2;
                    }
                    Some(i) => *done += i + 2,
                    None if rest.len() > super::head::MAX_HEAD_BYTES => self.at = At::Lost,
                    None => return Ok(()),
                },
            }
        }
    }
}

/// A connection's stream as hyper reads it: the bytes [`super::head`] read first, then the
/// rest, each request head judged (see the module's note).
pub struct Judged<S> {
    inner: S,
    framing: Framing,
    /// Read, not yet judged.
    pending: Vec<u8>,
    /// Judged, not yet handed to hyper.
    ready: Vec<u8>,
    at: usize,
    /// The refusal to write before the connection closes; hyper is handed nothing more.
    refusal: Option<(Vec<u8>, usize)>,
    /// The client closed its side.
    eof: bool,
}

impl<S> Judged<S> {
    /// `first`: the bytes already read from `inner` (the first head, judged, and whatever
    /// followed it).
    pub fn new(first: Vec<u8>, inner: S) -> Self {
        let mut j = Judged {
            inner,
            framing: Framing::default(),
            pending: first,
            ready: Vec::new(),
            at: 0,
            refusal: None,
            eof: false,
        };
        j.judge();
        j
    }

    /// Move what is whole and judged from `pending` to `ready`, or refuse.
    fn judge(&mut self) {
        let (n, refused) = self.framing.advance(&self.pending);
        self.ready.extend(self.pending.drain(..n));
        if let Some(e) = refused {
            self.pending.clear();
            if let Some((code, reason)) = e.status() {
                self.refusal = Some((super::head::refusal(code, reason), 0));
            }
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Judged<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        loop {
            if this.at < this.ready.len() {
                let n = buf.remaining().min(this.ready.len() - this.at);
                buf.put_slice(&this.ready[this.at..this.at + n]);
                this.at += n;
                if this.at == this.ready.len() {
                    this.ready.clear();
                    this.at = 0;
                }
                return Poll::Ready(Ok(()));
            }
            // After a refusal, or at the client's end: the end of the stream.
            if this.refusal.is_some() || this.eof {
                return Poll::Ready(Ok(()));
            }
            let mut chunk = [0u8; 8192];
            let mut rb = ReadBuf::new(&mut chunk);
            match Pin::new(&mut this.inner).poll_read(cx, &mut rb) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) if rb.filled().is_empty() => {
                    // Whatever was left unjudged (a head cut short) is hyper's to refuse.
                    this.eof = true;
                    let rest = std::mem::take(&mut this.pending);
                    this.ready.extend(rest);
                }
                Poll::Ready(Ok(())) => {
                    this.pending.extend_from_slice(rb.filled());
                    this.judge();
                }
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Judged<S> {
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

    /// Hyper is done (every answer before it written): the refusal goes last.
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if let Some((bytes, written)) = &mut this.refusal {
            while *written < bytes.len() {
                match Pin::new(&mut this.inner).poll_write(cx, &bytes[*written..]) {
                    Poll::Ready(Ok(0)) | Poll::Ready(Err(_)) => break,
                    Poll::Ready(Ok(n)) => *written += n,
                    Poll::Pending => return Poll::Pending,
                }
            }
            if *written >= bytes.len() {
                std::task::ready!(Pin::new(&mut this.inner).poll_flush(cx))?;
            }
            *written = bytes.len();
        }
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    /// Feed `input` in pieces of `step` bytes; the bytes handed on and the refusal, if any.
    fn frame(input: &[u8], step: usize) -> (usize, Option<HeadError>) {
        let mut f = Framing::default();
        let mut pending = Vec::new();
        let mut handed = 0;
        for piece in input.chunks(step) {
            pending.extend_from_slice(piece);
            let (n, refused) = f.advance(&pending);
            handed += n;
            pending.drain(..n);
            if refused.is_some() {
                return (handed, refused);
            }
        }
        (handed, None)
    }

    #[test]
    fn requests_are_followed_through_sized_and_chunked_bodies_in_any_pieces() {
        let get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        let sized = "POST /u HTTP/1.1\r\nContent-Length: 12\r\n\r\nGARBAGE\r\n\r\nx";
        let chunked = "POST /u HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n6;a=b\r\nx\r\n\r\ny\r\nA\r\n0123456789\r\n0\r\nT: v\r\n\r\n";
        let good = format!("{get}{sized}{chunked}{get}");
        for step in [1, 2, 3, 7, 64, 4096] {
            assert_eq!(frame(good.as_bytes(), step), (good.len(), None), "{step}");
            let bad = format!("{good}GARBAGE\r\n\r\n{get}");
            assert_eq!(
                frame(bad.as_bytes(), step),
                (good.len(), Some(HeadError::Malformed)),
                "{step}"
            );
            let bare = format!("{good}GET / HTTP/1.1\nHost: x\n\n");
            assert_eq!(
                frame(bare.as_bytes(), step),
                (good.len(), Some(HeadError::Malformed)),
                "{step}"
            );
        }
        // A head cut short is held back, not handed on.
        assert_eq!(frame(b"GET / HTTP/1.1\r\nHost:", 4), (0, None));
    }

    #[test]
    fn what_cannot_be_framed_is_passed_on_for_hyper_to_refuse() {
        let odd = "POST /u HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nGARBAGE\r\n\r\n";
        assert_eq!(frame(odd.as_bytes(), 5), (odd.len(), None));
    }

    #[tokio::test]
    async fn the_bytes_read_are_replayed() {
        let (mut a, b) = tokio::io::duplex(64);
        tokio::io::AsyncWriteExt::write_all(
            &mut a,
            b"GET / HTTP/1.1\r\n\r\nGET /x HTTP/1.1\r\n\r\n",
        )
        .await
        .unwrap();
        drop(a);
        let mut b = b;
        let head = super::super::head::read_first_head(&mut b, std::time::Duration::from_secs(5))
            .await
            .unwrap();
        let mut p = Judged::new(head, b);
        let mut all = Vec::new();
        p.read_to_end(&mut all).await.unwrap();
        assert_eq!(all, b"GET / HTTP/1.1\r\n\r\nGET /x HTTP/1.1\r\n\r\n");
    }
}
