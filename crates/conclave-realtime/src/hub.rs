//! Connections by user, the channel and team membership of connected users, and delivery.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::conn::{Close, Conn, Resume};
use crate::event::{Event, Frame, Membership};

#[derive(Debug, Clone)]
pub struct HubConfig {
    /// Unsent events a socket may have before it counts as too slow and is closed.
    pub send_queue: usize,
    /// Written events kept per connection for resume.
    pub replay_events: usize,
    /// How long a connection without a socket is kept for resume.
    pub reap_after: Duration,
    /// Reported in `hello` as `server_version`.
    pub server_version: String,
}

/// The authenticated owner of a socket.
#[derive(Debug, Clone)]
pub struct SocketUser {
    pub user_id: String,
    pub session_id: String,
    pub is_admin: bool,
}

pub struct Registration {
    pub conn: Arc<Conn>,
    /// Which socket of the connection this is; pass it back to `take_pending` and `detach`.
    pub socket: u64,
    /// The socket continues an earlier connection (no `hello`; missed events replay).
    pub resumed: bool,
    /// The caller must load the user's channels and teams and call `set_memberships`.
    pub needs_memberships: bool,
    /// The user had no other active socket.
    pub first_active: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HubStats {
    pub connections: usize,
    pub active_connections: usize,
    pub users: usize,
}

pub struct Hub {
    config: HubConfig,
    index: RwLock<Index>,
}

#[derive(Default)]
struct Index {
    users: HashMap<Arc<str>, UserEntry>,
    channels: HashMap<Arc<str>, HashSet<Arc<str>>>,
    teams: HashMap<Arc<str>, HashSet<Arc<str>>>,
    conns: HashMap<String, Arc<Conn>>,
}

struct UserEntry {
    conns: Vec<Arc<Conn>>,
    channels: HashSet<Arc<str>>,
    teams: HashSet<Arc<str>>,
    is_admin: bool,
    /// Milliseconds since the epoch of the user's last sign of life.
    last_activity: AtomicI64,
    /// Presence marked the user away for inactivity; the next activity brings them back.
    away: AtomicBool,
    /// While the user's memberships load, changes that arrive are kept here and applied
    /// over the loaded snapshot.
    loading: Option<Vec<Membership>>,
}

impl Hub {
    pub fn new(config: HubConfig) -> Hub {
        Hub {
            config,
            index: RwLock::new(Index::default()),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Index> {
        self.index.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a socket: resumes `resume = (connection_id, next_seq)` when that connection
    /// belongs to the user and can replay from there, otherwise starts a new connection whose
    /// first event is `hello`.
    pub fn connect(
        &self,
        user: &SocketUser,
        resume: Option<(&str, u64)>,
        now_ms: i64,
    ) -> Registration {
        let mut idx = self.write();
        let first_active = idx
            .users
            .get(user.user_id.as_str())
            .is_none_or(|u| !u.conns.iter().any(|c| c.is_active()));
        if let Some((id, seq)) = resume
            && let Some(conn) = idx.conns.get(id).cloned()
            && *conn.user_id == *user.user_id
        {
            match conn.resume(seq) {
                (Resume::Resumed, socket) => {
                    if let Some(entry) = idx.users.get(user.user_id.as_str()) {
                        entry.last_activity.store(now_ms, Ordering::Relaxed);
                    }
                    return Registration {
                        conn,
                        socket,
                        resumed: true,
                        needs_memberships: false,
                        first_active,
                    };
                }
                (Resume::Gap, _) => idx.remove_conn(&conn),
            }
        }

        let id = conclave_model::new_id();
        let hello = Event::new("hello")
            .to_user(&user.user_id)
            .with("server_version", self.config.server_version.as_str())
            .with("connection_id", id.as_str())
            .with("server_hostname", "");
        let hello = hello.encode(&hello.data);
        let needs_memberships = !idx.users.contains_key(user.user_id.as_str());
        let entry = idx
            .users
            .entry(Arc::from(user.user_id.as_str()))
            .or_insert_with(|| UserEntry {
                conns: Vec::new(),
                channels: HashSet::new(),
                teams: HashSet::new(),
                is_admin: user.is_admin,
                last_activity: AtomicI64::new(now_ms),
                away: AtomicBool::new(false),
                loading: Some(Vec::new()),
            });
        entry.last_activity.store(now_ms, Ordering::Relaxed);
        let user_id = idx
            .users
            .get_key_value(user.user_id.as_str())
            .map(|(k, _)| k.clone())
            .expect("inserted above");
        let conn = Arc::new(Conn::new(
            id.clone(),
            user_id.clone(),
            user.session_id.clone(),
            hello,
            (
                self.config.send_queue as u32,
                self.config.replay_events as u32,
            ),
        ));
        idx.conns.insert(id, conn.clone());
        if let Some(entry) = idx.users.get_mut(&user_id) {
            entry.conns.push(conn.clone());
        }
        Registration {
            conn,
            socket: Conn::FIRST_SOCKET,
            resumed: false,
            needs_memberships,
            first_active,
        }
    }

    /// Completes a user's registration with the channels and teams they belonged to when
    /// loaded; membership changes published meanwhile are applied on top.
    pub fn set_memberships(&self, user_id: &str, channel_ids: &[String], team_ids: &[String]) {
        let mut idx = self.write();
        let Some(pending) = idx.users.get_mut(user_id).and_then(|u| u.loading.take()) else {
            return;
        };
        for c in channel_ids {
            idx.apply(&Membership::JoinChannel {
                user_id: user_id.to_owned(),
                channel_id: c.clone(),
            });
        }
        for t in team_ids {
            idx.apply(&Membership::JoinTeam {
                user_id: user_id.to_owned(),
                team_id: t.clone(),
            });
        }
        for change in &pending {
            idx.apply(change);
        }
    }

    /// A socket ended. Returns true when the user has no active socket left.
    pub fn detach(&self, conn: &Arc<Conn>, socket: u64) -> bool {
        let now = Instant::now();
        let idx = self.read();
        conn.detach(socket, now);
        idx.users
            .get(&*conn.user_id)
            .is_none_or(|u| !u.conns.iter().any(|c| c.is_active()))
    }

    /// Delivers an event to every connection its broadcast selects, after applying the
    /// membership changes it carries.
    pub fn publish(&self, event: Event) {
        // Nobody connected: nothing to number, deliver or track (membership only concerns
        // connected users), so skip the serialisation too.
        if self.read().users.is_empty() {
            return;
        }
        let full = event.encode(&event.data);
        let restricted = event.restricted.as_ref().map(|d| event.encode(d));
        if event.membership.is_empty() {
            self.read().deliver(&event, &full, restricted.as_ref());
        } else {
            let mut idx = self.write();
            for change in &event.membership {
                idx.apply(change);
            }
            idx.deliver(&event, &full, restricted.as_ref());
        }
    }

    /// Applies membership changes that no event announces.
    pub fn apply(&self, changes: &[Membership]) {
        let mut idx = self.write();
        for change in changes {
            idx.apply(change);
        }
    }

    /// Closes, without resume, every connection of these sessions.
    pub fn close_sessions(&self, session_ids: &[String]) {
        let mut idx = self.write();
        let doomed: Vec<Arc<Conn>> = idx
            .conns
            .values()
            .filter(|c| session_ids.contains(&c.session_id))
            .cloned()
            .collect();
        for conn in doomed {
            conn.end(Close::Revoked);
            idx.remove_conn(&conn);
        }
    }

    /// Closes every socket: the server is stopping.
    pub fn close_all(&self) {
        let mut idx = self.write();
        for conn in idx.conns.values() {
            conn.end(Close::Stopping);
        }
        *idx = Index::default();
    }

    /// Closes, without resume, every connection of a user.
    pub fn close_user(&self, user_id: &str) {
        let mut idx = self.write();
        let doomed: Vec<Arc<Conn>> = idx
            .users
            .get(user_id)
            .map(|u| u.conns.clone())
            .unwrap_or_default();
        for conn in doomed {
            conn.end(Close::Revoked);
            idx.remove_conn(&conn);
        }
    }

    /// Forgets connections that have had no socket for longer than `reap_after`.
    pub fn reap(&self) -> usize {
        let now = Instant::now();
        let mut idx = self.write();
        let doomed: Vec<Arc<Conn>> = idx
            .conns
            .values()
            .filter(|c| {
                c.inactive_since()
                    .is_some_and(|t| now.duration_since(t) >= self.config.reap_after)
            })
            .cloned()
            .collect();
        for conn in &doomed {
            idx.remove_conn(conn);
        }
        doomed.len()
    }

    /// Records a sign of life from the user. Returns true when presence had marked them
    /// away for inactivity (they should be online again).
    pub fn touch(&self, user_id: &str, now_ms: i64) -> bool {
        match self.read().users.get(user_id) {
            Some(u) => {
                u.last_activity.store(now_ms, Ordering::Relaxed);
                u.away.swap(false, Ordering::Relaxed)
            }
            None => false,
        }
    }

    /// Marks away, and returns, users with an active socket and no activity since
    /// `idle_since_ms` who were not marked yet.
    pub fn mark_idle(&self, idle_since_ms: i64) -> Vec<String> {
        self.read()
            .users
            .iter()
            .filter(|(_, u)| {
                u.last_activity.load(Ordering::Relaxed) <= idle_since_ms
                    && u.conns.iter().any(|c| c.is_active())
                    && !u.away.swap(true, Ordering::Relaxed)
            })
            .map(|(id, _)| id.to_string())
            .collect()
    }

    /// Users with at least one active socket.
    pub fn active_users(&self) -> Vec<String> {
        self.read()
            .users
            .iter()
            .filter(|(_, u)| u.conns.iter().any(|c| c.is_active()))
            .map(|(id, _)| id.to_string())
            .collect()
    }

    /// Whether the user has a connection, with or without a socket (events reach it).
    pub fn has_user(&self, user_id: &str) -> bool {
        self.read().users.contains_key(user_id)
    }

    pub fn is_active(&self, user_id: &str) -> bool {
        self.read()
            .users
            .get(user_id)
            .is_some_and(|u| u.conns.iter().any(|c| c.is_active()))
    }

    pub fn stats(&self) -> HubStats {
        let idx = self.read();
        HubStats {
            connections: idx.conns.len(),
            active_connections: idx.conns.values().filter(|c| c.is_active()).count(),
            users: idx.users.len(),
        }
    }
}

impl Index {
    fn intern(map: &HashMap<Arc<str>, HashSet<Arc<str>>>, key: &str) -> Arc<str> {
        map.get_key_value(key)
            .map(|(k, _)| k.clone())
            .unwrap_or_else(|| Arc::from(key))
    }

    fn apply(&mut self, change: &Membership) {
        let user_id = match change {
            Membership::JoinChannel { user_id, .. }
            | Membership::LeaveChannel { user_id, .. }
            | Membership::JoinTeam { user_id, .. }
            | Membership::LeaveTeam { user_id, .. }
            | Membership::Admin { user_id, .. } => user_id.as_str(),
        };
        let Some(uid) = self.users.get_key_value(user_id).map(|(k, _)| k.clone()) else {
            return;
        };
        if let Some(pending) = self.users.get_mut(&uid).and_then(|u| u.loading.as_mut()) {
            pending.push(change.clone());
            return;
        }
        match change {
            Membership::JoinChannel { channel_id, .. } => {
                let key = Self::intern(&self.channels, channel_id);
                self.channels
                    .entry(key.clone())
                    .or_default()
                    .insert(uid.clone());
                if let Some(u) = self.users.get_mut(&uid) {
                    u.channels.insert(key);
                }
            }
            Membership::LeaveChannel { channel_id, .. } => {
                self.leave_channel(&uid, channel_id);
            }
            Membership::JoinTeam { team_id, .. } => {
                let key = Self::intern(&self.teams, team_id);
                self.teams
                    .entry(key.clone())
                    .or_default()
                    .insert(uid.clone());
                if let Some(u) = self.users.get_mut(&uid) {
                    u.teams.insert(key);
                }
            }
            Membership::LeaveTeam {
                team_id,
                channel_ids,
                ..
            } => {
                if let Some(set) = self.teams.get_mut(team_id.as_str()) {
                    set.remove(&uid);
                    if set.is_empty() {
                        self.teams.remove(team_id.as_str());
                    }
                }
                if let Some(u) = self.users.get_mut(&uid) {
                    u.teams.remove(team_id.as_str());
                }
                for c in channel_ids {
                    self.leave_channel(&uid, c);
                }
            }
            Membership::Admin { is_admin, .. } => {
                if let Some(u) = self.users.get_mut(&uid) {
                    u.is_admin = *is_admin;
                }
            }
        }
    }

    fn leave_channel(&mut self, uid: &Arc<str>, channel_id: &str) {
        if let Some(set) = self.channels.get_mut(channel_id) {
            set.remove(uid);
            if set.is_empty() {
                self.channels.remove(channel_id);
            }
        }
        if let Some(u) = self.users.get_mut(uid) {
            u.channels.remove(channel_id);
        }
    }

    /// Drops a connection; a user left with none leaves the membership index.
    fn remove_conn(&mut self, conn: &Arc<Conn>) {
        self.conns.remove(&conn.id);
        let Some(entry) = self.users.get_mut(&*conn.user_id) else {
            return;
        };
        entry.conns.retain(|c| !Arc::ptr_eq(c, conn));
        if !entry.conns.is_empty() {
            return;
        }
        let entry = self.users.remove(&*conn.user_id).expect("present above");
        for c in &entry.channels {
            if let Some(set) = self.channels.get_mut(c) {
                set.remove(&*conn.user_id);
                if set.is_empty() {
                    self.channels.remove(c);
                }
            }
        }
        for t in &entry.teams {
            if let Some(set) = self.teams.get_mut(t) {
                set.remove(&*conn.user_id);
                if set.is_empty() {
                    self.teams.remove(t);
                }
            }
        }
    }

    fn deliver(&self, event: &Event, full: &Frame, restricted: Option<&Frame>) {
        let b = &event.broadcast;
        let droppable = event.droppable();
        let send = |uid: &str, entry: &UserEntry, conn: &Arc<Conn>| {
            if !b.omit_connection_id.is_empty() && conn.id == b.omit_connection_id {
                return;
            }
            let frame = match restricted {
                Some(r) if !entry.is_admin && uid != event.restricted_subject => r,
                _ => full,
            };
            conn.push(frame, droppable);
        };
        if !b.connection_id.is_empty() {
            if let Some(conn) = self.conns.get(&b.connection_id)
                && let Some(entry) = self.users.get(&*conn.user_id)
            {
                send(&conn.user_id, entry, conn);
            }
            return;
        }
        let to_user = |uid: &str| {
            if b.user_id.is_empty() && b.omit_users.as_ref().is_some_and(|o| o.contains_key(uid)) {
                return;
            }
            if let Some(entry) = self.users.get(uid) {
                for conn in &entry.conns {
                    send(uid, entry, conn);
                }
            }
        };
        if !b.user_id.is_empty() {
            to_user(&b.user_id);
        } else if !b.channel_id.is_empty() {
            if let Some(members) = self.channels.get(b.channel_id.as_str()) {
                members.iter().for_each(|u| to_user(u));
            }
        } else if !b.team_id.is_empty() {
            if let Some(members) = self.teams.get(b.team_id.as_str()) {
                members.iter().for_each(|u| to_user(u));
            }
        } else {
            self.users.keys().for_each(|u| to_user(u));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub(queue: usize, replay: usize) -> Hub {
        Hub::new(HubConfig {
            send_queue: queue,
            replay_events: replay,
            reap_after: Duration::from_secs(300),
            server_version: "10.11.0".into(),
        })
    }

    fn user(id: &str) -> SocketUser {
        SocketUser {
            user_id: id.into(),
            session_id: format!("s-{id}"),
            is_admin: false,
        }
    }

    fn seqs(reg: &Registration) -> Vec<u64> {
        let mut out = Vec::new();
        reg.conn.take_pending(reg.socket, &mut out).unwrap();
        out.iter()
            .map(|t| {
                serde_json::from_str::<serde_json::Value>(t).unwrap()["seq"]
                    .as_u64()
                    .unwrap()
            })
            .collect()
    }

    #[test]
    fn channel_events_reach_members_only_and_number_without_gaps() {
        let hub = hub(256, 128);
        let a = hub.connect(&user("a"), None, 0);
        let b = hub.connect(&user("b"), None, 0);
        hub.set_memberships("a", &["c1".into()], &[]);
        hub.set_memberships("b", &["c2".into()], &[]);
        hub.publish(Event::new("posted").to_channel("c1"));
        hub.publish(Event::new("posted").to_channel("c2"));
        hub.publish(Event::new("posted").to_channel("c1"));
        assert_eq!(seqs(&a), vec![0, 1, 2]);
        assert_eq!(seqs(&b), vec![0, 1]);
    }

    #[test]
    fn changes_during_load_apply_over_the_snapshot() {
        let hub = hub(256, 128);
        let a = hub.connect(&user("a"), None, 0);
        hub.publish(Event::new("user_added").to_channel("c9").with_membership(
            Membership::JoinChannel {
                user_id: "a".into(),
                channel_id: "c9".into(),
            },
        ));
        hub.set_memberships("a", &["c1".into()], &[]);
        hub.publish(Event::new("posted").to_channel("c9"));
        hub.publish(Event::new("posted").to_channel("c1"));
        assert_eq!(seqs(&a), vec![0, 1, 2]);
    }

    #[test]
    fn resume_replays_missed_events_and_a_gap_starts_afresh() {
        let hub = hub(256, 4);
        let a = hub.connect(&user("a"), None, 0);
        hub.set_memberships("a", &["c".into()], &[]);
        hub.publish(Event::new("posted").to_channel("c"));
        assert_eq!(seqs(&a), vec![0, 1]);
        assert!(hub.detach(&a.conn, a.socket));
        hub.publish(Event::new("posted").to_channel("c"));
        hub.publish(Event::new("posted").to_channel("c"));
        let r = hub.connect(&user("a"), Some((&a.conn.id, 2)), 0);
        assert!(r.resumed && r.first_active);
        assert_eq!(seqs(&r), vec![2, 3]);
        // The old socket learns it was replaced.
        assert_eq!(
            a.conn.take_pending(a.socket, &mut Vec::new()),
            Err(Close::Replaced)
        );
        hub.detach(&r.conn, r.socket);
        for _ in 0..10 {
            hub.publish(Event::new("posted").to_channel("c"));
        }
        let fresh = hub.connect(&user("a"), Some((&a.conn.id, 4)), 0);
        assert!(!fresh.resumed);
        assert_ne!(fresh.conn.id, a.conn.id);
        assert_eq!(seqs(&fresh), vec![0]);
    }

    #[test]
    fn a_slow_socket_is_closed_without_holding_others_back() {
        let hub = hub(8, 4);
        let slow = hub.connect(&user("a"), None, 0);
        let fast = hub.connect(&user("b"), None, 0);
        hub.set_memberships("a", &["c".into()], &[]);
        hub.set_memberships("b", &["c".into()], &[]);
        for i in 0..20 {
            hub.publish(Event::new("posted").to_channel("c"));
            if i % 2 == 0 {
                let mut out = Vec::new();
                fast.conn.take_pending(fast.socket, &mut out).unwrap();
            }
        }
        assert_eq!(
            slow.conn.take_pending(slow.socket, &mut Vec::new()),
            Err(Close::Slow)
        );
        assert!(fast.conn.take_pending(fast.socket, &mut Vec::new()).is_ok());
        assert_eq!(fast.conn.next_seq(), 21);
    }

    #[test]
    fn connections_past_the_resume_window_are_forgotten() {
        let hub = Hub::new(HubConfig {
            reap_after: Duration::ZERO,
            ..hub(256, 128).config
        });
        let a = hub.connect(&user("a"), None, 0);
        hub.set_memberships("a", &["c".into()], &[]);
        assert_eq!(hub.reap(), 0, "a connection with a socket stays");
        hub.detach(&a.conn, a.socket);
        assert_eq!(hub.reap(), 1);
        assert!(!hub.has_user("a"));
        let again = hub.connect(&user("a"), Some((&a.conn.id, 1)), 0);
        assert!(!again.resumed && again.needs_memberships);
    }

    #[test]
    fn revoked_sessions_close_and_cannot_resume() {
        let hub = hub(256, 128);
        let a = hub.connect(&user("a"), None, 0);
        hub.close_sessions(&["s-a".into()]);
        assert_eq!(
            a.conn.take_pending(a.socket, &mut Vec::new()),
            Err(Close::Revoked)
        );
        let again = hub.connect(&user("a"), Some((&a.conn.id, 1)), 0);
        assert!(!again.resumed);
        assert_eq!(hub.stats().connections, 1);
    }

    #[test]
    fn omitted_users_and_connections_are_skipped() {
        let hub = hub(256, 128);
        let a = hub.connect(&user("a"), None, 0);
        let a2 = hub.connect(&user("a"), None, 0);
        let b = hub.connect(&user("b"), None, 0);
        hub.set_memberships("a", &["c".into()], &[]);
        hub.set_memberships("b", &["c".into()], &[]);
        hub.publish(Event::new("typing").to_channel("c").omit_user("a"));
        let mut e = Event::new("posted").to_channel("c");
        e.broadcast.omit_connection_id = a2.conn.id.clone();
        hub.publish(e);
        assert_eq!(seqs(&a), vec![0, 1]);
        assert_eq!(seqs(&a2), vec![0]);
        assert_eq!(seqs(&b), vec![0, 1, 2]);
    }
}
