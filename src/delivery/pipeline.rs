//! A worker's batch over SMTP, pipelined when the relay offers PIPELINING (RFC 2920): the
//! message and its final dot go out in one write together with the next delivery's MAIL, RCPT
//! and DATA, so a message costs one round trip instead of four. A relay without PIPELINING gets
//! the same loop step by step (the session writes one command at a time).
//!
//! What may be in flight per connection: at most two transactions, the one whose data is
//! written and the one whose envelope follows it; each holds its own [`super::Unrecorded`]
//! permit from before its first byte until its outcome is committed. So the crash bound stays
//! `connections × batch` messages (the permits), and the next envelope is never pipelined
//! when no permit is free at once (never waiting for the ledger while the relay waits for us).

use std::sync::atomic::Ordering;

use super::smtp::SmtpSession;
use super::{Attempt, Channel, Conn, Sender, Shared};
use crate::address::EmailAddress;
use crate::render::Rendered;
use crate::store::{Claimed, Recorded, StoreError};

/// A delivery whose transaction is begun on the session, with the permit it holds.
struct Begun<'a> {
    d: &'a Claimed,
    permit: tokio::sync::OwnedSemaphorePermit,
    email: &'a EmailAddress,
}

/// The open SMTP session of a connection, if any.
fn session(channel: &mut Option<Channel>) -> Option<&mut SmtpSession> {
    match channel.as_mut() {
        Some(Channel::Smtp(s)) => Some(s),
        _ => None,
    }
}

impl Sender {
    /// Attempt a claimed batch over SMTP, each outcome to the ledger writer as its own reply
    /// comes. When the run stops or the relay is down, the rest go back untouched.
    pub(super) async fn send_batch_smtp(
        &self,
        claimed: &[Claimed],
        rendered: &Rendered,
        shared: &Shared,
        conn: &mut Conn,
        progress: Option<&indicatif::ProgressBar>,
    ) -> Result<(), StoreError> {
        let slots = shared
            .pacer
            .reserve(&self.store, self.clock.as_ref(), claimed.len())
            .await?;
        let mut next = 0;
        let mut begun: Option<Begun> = None;
        loop {
            let cur = match begun.take() {
                Some(b) => b,
                None => {
                    let Some(d) = claimed.get(next) else { break };
                    if let Some(slots) = &slots {
                        super::sleep_until_ms(self.clock.as_ref(), slots[next]).await;
                    }
                    // Wait (before the transaction, not after) until the ledger has caught up.
                    let permit = shared.unrecorded.acquire().await;
                    next += 1;
                    match self.begin(d, shared, conn).await {
                        Ok(email) => {
                            self.message(d, email, rendered, &mut conn.buf, Some(&mut conn.head));
                            Begun { d, permit, email }
                        }
                        Err(Recorded::Released) => {
                            drop(permit);
                            return self.release(&claimed[next - 1..], shared).await;
                        }
                        Err(recorded) => {
                            self.record(d, recorded, permit, shared, progress).await;
                            continue;
                        }
                    }
                }
            };
            let attempt = match session(&mut conn.channel) {
                None => Attempt::Retry("the connection to the relay was lost".into()),
                Some(s) => match s.envelope().await {
                    Err(a) => a,
                    Ok(()) => match s.data(&[conn.head.as_bytes(), &conn.buf]) {
                        Err(a) => a,
                        Ok(()) => {
                            begun = self
                                .pipeline_next(
                                    claimed,
                                    &mut next,
                                    slots.as_deref(),
                                    shared,
                                    conn,
                                    progress,
                                )
                                .await;
                            // The next message is made while the relay reads this one.
                            let Conn {
                                channel, buf, head, ..
                            } = conn;
                            match session(channel) {
                                Some(s) => {
                                    s.end(|| {
                                        if let Some(b) = &begun {
                                            self.message(b.d, b.email, rendered, buf, Some(head));
                                        }
                                    })
                                    .await
                                }
                                None => {
                                    Attempt::Retry("the connection to the relay was lost".into())
                                }
                            }
                        }
                    },
                },
            };
            let recorded = self.outcome(cur.d, shared, &mut conn.channel, attempt);
            if matches!(recorded, Recorded::Released) {
                // The run halts: this one goes back; the loop's next turn gives back the rest
                // (after the transaction begun behind it, if any, has its own outcome).
                drop(cur.permit);
                self.release(std::slice::from_ref(cur.d), shared).await?;
                continue;
            }
            self.record(cur.d, recorded, cur.permit, shared, progress)
                .await;
        }
        Ok(())
    }

    /// Begin the next delivery's transaction behind the current message's data, when the
    /// relay pipelines, its pacing slot has come, the run goes on and a permit is free now.
    /// Its message is made by the caller, while the relay reads the current one.
    async fn pipeline_next<'a>(
        &self,
        claimed: &'a [Claimed],
        next: &mut usize,
        slots: Option<&[i64]>,
        shared: &Shared,
        conn: &mut Conn,
        progress: Option<&indicatif::ProgressBar>,
    ) -> Option<Begun<'a>> {
        let d = claimed.get(*next)?;
        let pipelining = session(&mut conn.channel).is_some_and(|s| s.pipelining());
        let due = slots.is_none_or(|s| s[*next] <= self.clock.now_ms());
        if !pipelining || !due || shared.halt.stopped() || self.stopping.load(Ordering::SeqCst) {
            return None;
        }
        let permit = std::sync::Arc::clone(&shared.unrecorded.0)
            .try_acquire_owned()
            .ok()?;
        match self.begin(d, shared, conn).await {
            Ok(email) => {
                *next += 1;
                Some(Begun { d, permit, email })
            }
            // Not begun (the loop's next turn gives it back).
            Err(Recorded::Released) => None,
            Err(recorded) => {
                *next += 1;
                self.record(d, recorded, permit, shared, progress).await;
                None
            }
        }
    }

    /// `d`'s transaction begun: the session opened if need be and its envelope queued (the
    /// message is made after, while the relay answers). Its address, or `Err` with what the
    /// ledger records when it cannot be (`Released`: the relay cannot be used).
    async fn begin<'a>(
        &self,
        d: &'a Claimed,
        shared: &Shared,
        conn: &mut Conn,
    ) -> Result<&'a EmailAddress, Recorded> {
        if shared.halt.stopped() {
            return Err(Recorded::Released);
        }
        let Some(email) = &d.email else {
            return Err(Recorded::Failed {
                reply: "the stored address is not valid".into(),
            });
        };
        if !self.open(d, shared, &mut conn.channel).await {
            return Err(Recorded::Released);
        }
        let from = self.envelope_from(d, email);
        let Some(s) = session(&mut conn.channel) else {
            return Err(Recorded::Released);
        };
        match s.begin(&from, email) {
            Ok(()) => Ok(email),
            Err(a) => Err(self.outcome(d, shared, &mut conn.channel, a)),
        }
    }
}
