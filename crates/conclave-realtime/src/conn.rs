//! One logical connection: its sequence numbers and the ring that holds both the events not
//! yet written to the socket and the last few written ones, for resume.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::Notify;

use crate::event::Frame;

/// Why the hub wants a socket closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Close {
    /// The client fell too far behind; it may resume.
    Slow,
    /// Its session ended (logout, revocation, deactivation); it may not resume.
    Revoked,
    /// A newer socket resumed this connection.
    Replaced,
    /// The server is stopping.
    Stopping,
}

/// A connection outlives its socket for a while so the client can resume it.
pub struct Conn {
    pub id: String,
    pub user_id: Arc<str>,
    pub session_id: String,
    /// Most unsent events before the socket counts as too slow.
    queue: u32,
    /// Written events kept for resume.
    replay: u32,
    state: Mutex<State>,
    wake: Notify,
    /// Signalled when the serving socket must close (slow, revoked, replaced, stopping),
    /// so a socket blocked writing learns of it.
    closing: Notify,
}

struct State {
    /// Seq of `ring[0]`; the next event gets `first_seq + ring.len()`.
    first_seq: u64,
    ring: VecDeque<Frame>,
    /// Next seq to hand to the socket.
    written: u64,
    /// Which socket currently serves this connection; 0 when none does.
    socket: u64,
    sockets_seen: u64,
    close: Option<Close>,
    inactive_since: Option<Instant>,
}

impl State {
    fn next_seq(&self) -> u64 {
        self.first_seq + self.ring.len() as u64
    }
}

pub(crate) enum Resume {
    /// The socket serves the connection from `seq`; events it missed are replayed.
    Resumed,
    /// The connection can't replay from there: the client must start afresh.
    Gap,
}

impl Conn {
    pub(crate) fn new(
        id: String,
        user_id: Arc<str>,
        session_id: String,
        hello: Frame,
        limits: (u32, u32),
    ) -> Conn {
        let mut ring = VecDeque::with_capacity(1);
        ring.push_back(hello);
        Conn {
            id,
            user_id,
            session_id,
            queue: limits.0,
            replay: limits.1,
            state: Mutex::new(State {
                first_seq: 0,
                ring,
                written: 0,
                socket: 1,
                sockets_seen: 1,
                close: None,
                inactive_since: None,
            }),
            wake: Notify::new(),
            closing: Notify::new(),
        }
    }

    fn close_reason(&self, socket: u64) -> Option<Close> {
        let st = self.state();
        if st.socket != socket {
            Some(Close::Replaced)
        } else {
            st.close
        }
    }

    /// Resolves once socket `socket` must close.
    pub async fn until_closing(&self, socket: u64) {
        loop {
            let notified = self.closing.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.close_reason(socket).is_some() {
                return;
            }
            notified.await;
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The socket number a fresh connection starts with.
    pub const FIRST_SOCKET: u64 = 1;

    /// Appends an event. Returns false when the event was dropped (a droppable event for a
    /// connection that is behind or has no socket).
    pub(crate) fn push(&self, frame: &Frame, droppable: bool) -> bool {
        let (queue, replay) = (self.queue as usize, self.replay as usize);
        let mut st = self.state();
        if matches!(st.close, Some(Close::Revoked | Close::Stopping)) {
            return false;
        }
        let serving = st.socket != 0 && st.close.is_none();
        let unsent = st.next_seq().saturating_sub(st.written) as usize;
        if droppable && (!serving || unsent >= queue / 2) {
            return false;
        }
        st.ring.push_back(frame.clone());
        let mut now_slow = false;
        if serving && unsent + 1 > queue {
            st.close = Some(Close::Slow);
            now_slow = true;
        }
        // Keep every unsent event of a healthy socket plus `replay` written ones; once nobody
        // is reading, only the last `replay`.
        let keep = if st.socket != 0 && st.close.is_none() {
            replay + st.next_seq().saturating_sub(st.written) as usize
        } else {
            replay
        };
        while st.ring.len() > keep {
            st.ring.pop_front();
            st.first_seq += 1;
        }
        if st.written < st.first_seq {
            st.written = st.first_seq;
        }
        drop(st);
        if now_slow {
            self.closing.notify_waiters();
        }
        self.wake.notify_one();
        true
    }

    /// Waits until there may be something to write or a reason to close.
    pub async fn notified(&self) {
        self.wake.notified().await
    }

    /// Hands socket `socket` the frames it has not written yet, or why it must close.
    pub fn take_pending(&self, socket: u64, out: &mut Vec<String>) -> Result<(), Close> {
        let mut st = self.state();
        if st.socket != socket {
            return Err(Close::Replaced);
        }
        if let Some(close) = st.close {
            return Err(close);
        }
        let start = (st.written - st.first_seq) as usize;
        for (i, frame) in st.ring.iter().enumerate().skip(start) {
            out.push(frame.with_seq(st.first_seq + i as u64));
        }
        st.written = st.next_seq();
        while st.ring.len() > self.replay as usize {
            st.ring.pop_front();
            st.first_seq += 1;
        }
        Ok(())
    }

    /// The socket ended. Returns whether it was the one serving the connection.
    pub(crate) fn detach(&self, socket: u64, now: Instant) -> bool {
        let mut st = self.state();
        if st.socket != socket {
            return false;
        }
        st.socket = 0;
        if st.close == Some(Close::Slow) {
            st.close = None;
        }
        st.inactive_since = Some(now);
        true
    }

    /// A new socket takes the connection over from `seq` (the next event the client expects).
    pub(crate) fn resume(&self, seq: u64) -> (Resume, u64) {
        let mut st = self.state();
        if matches!(st.close, Some(Close::Revoked | Close::Stopping))
            || seq < st.first_seq
            || seq > st.next_seq()
        {
            return (Resume::Gap, 0);
        }
        st.sockets_seen += 1;
        st.socket = st.sockets_seen;
        st.close = None;
        st.written = seq;
        st.inactive_since = None;
        let socket = st.socket;
        drop(st);
        // Wakes a previous socket (so it sees it was replaced) or the new one (to replay).
        self.closing.notify_waiters();
        self.wake.notify_waiters();
        self.wake.notify_one();
        (Resume::Resumed, socket)
    }

    /// Ends the connection for good (`Revoked` or `Stopping`).
    pub(crate) fn end(&self, why: Close) {
        let mut st = self.state();
        st.close = Some(why);
        st.ring.clear();
        drop(st);
        self.closing.notify_waiters();
        self.wake.notify_waiters();
        self.wake.notify_one();
    }

    /// Whether a socket serves this connection.
    pub fn is_active(&self) -> bool {
        self.state().socket != 0
    }

    /// When the connection lost its socket, if it has none.
    pub(crate) fn inactive_since(&self) -> Option<Instant> {
        self.state().inactive_since
    }

    /// The seq the next event will get (for tests and diagnostics).
    pub fn next_seq(&self) -> u64 {
        self.state().next_seq()
    }
}
