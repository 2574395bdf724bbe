//! Events in Mattermost's WebSocket envelope, and their one-time encoding.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value};

/// Who receives an event, as Mattermost spells it on the wire. Checked in this order:
/// `connection_id`, `omit_connection_id`, `user_id`, `omit_users`, `channel_id`, `team_id`;
/// with none set the event goes to every connected user.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Broadcast {
    pub omit_users: Option<BTreeMap<String, bool>>,
    pub user_id: String,
    pub channel_id: String,
    pub team_id: String,
    pub connection_id: String,
    pub omit_connection_id: String,
}

/// A membership change the hub applies before delivering the event that carries it, so the
/// announcement itself (and everything after it) reaches the new set of members.
#[derive(Debug, Clone, PartialEq)]
pub enum Membership {
    JoinChannel {
        user_id: String,
        channel_id: String,
    },
    LeaveChannel {
        user_id: String,
        channel_id: String,
    },
    JoinTeam {
        user_id: String,
        team_id: String,
    },
    /// Leaving a team also leaves the team's channels listed here.
    LeaveTeam {
        user_id: String,
        team_id: String,
        channel_ids: Vec<String>,
    },
    Admin {
        user_id: String,
        is_admin: bool,
    },
}

/// One event, built by a service after its change committed.
#[derive(Debug, Clone)]
pub struct Event {
    pub name: &'static str,
    pub data: Map<String, Value>,
    pub broadcast: Broadcast,
    /// `data` as seen by recipients who are neither system admins nor `restricted_subject`
    /// (Mattermost sanitises `user_updated` this way). `None`: everyone sees `data`.
    pub restricted: Option<Map<String, Value>>,
    pub restricted_subject: String,
    pub membership: Vec<Membership>,
}

impl Event {
    pub fn new(name: &'static str) -> Event {
        Event {
            name,
            data: Map::new(),
            broadcast: Broadcast::default(),
            restricted: None,
            restricted_subject: String::new(),
            membership: Vec::new(),
        }
    }

    pub fn to_user(mut self, user_id: &str) -> Event {
        self.broadcast.user_id = user_id.to_owned();
        self
    }

    pub fn to_channel(mut self, channel_id: &str) -> Event {
        self.broadcast.channel_id = channel_id.to_owned();
        self
    }

    pub fn to_team(mut self, team_id: &str) -> Event {
        self.broadcast.team_id = team_id.to_owned();
        self
    }

    pub fn to_connection(mut self, connection_id: &str) -> Event {
        self.broadcast.connection_id = connection_id.to_owned();
        self
    }

    pub fn omit_user(mut self, user_id: &str) -> Event {
        self.broadcast
            .omit_users
            .get_or_insert_with(BTreeMap::new)
            .insert(user_id.to_owned(), true);
        self
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Event {
        self.data.insert(key.to_owned(), value.into());
        self
    }

    pub fn with_membership(mut self, change: Membership) -> Event {
        self.membership.push(change);
        self
    }

    /// Events Mattermost drops for a connection whose queue is half full: losing one costs
    /// the user nothing lasting.
    pub fn droppable(&self) -> bool {
        matches!(
            self.name,
            "typing" | "status_change" | "multiple_channels_viewed"
        )
    }

    pub(crate) fn encode(&self, data: &Map<String, Value>) -> Frame {
        #[derive(Serialize)]
        struct Envelope<'a> {
            event: &'a str,
            data: &'a Map<String, Value>,
            broadcast: &'a Broadcast,
        }
        let mut text = serde_json::to_string(&Envelope {
            event: self.name,
            data,
            broadcast: &self.broadcast,
        })
        .expect("event JSON is always serialisable");
        // `{"event":…,"broadcast":{…}}` → `{"event":…,"broadcast":{…},"seq":` ; each connection
        // appends its own number and the closing brace.
        text.pop();
        text.push_str(",\"seq\":");
        Frame(Arc::from(text))
    }
}

/// Mattermost sends many payload fields (posts, channels, members) as JSON encoded into a
/// string; this makes that string.
pub fn json_string(value: &impl Serialize) -> Value {
    Value::String(serde_json::to_string(value).expect("model types always serialise"))
}

/// An event serialised once, up to and including `"seq":`.
#[derive(Debug, Clone)]
pub(crate) struct Frame(pub(crate) Arc<str>);

impl Frame {
    pub(crate) fn with_seq(&self, seq: u64) -> String {
        use std::fmt::Write;
        let mut s = String::with_capacity(self.0.len() + 21);
        s.push_str(&self.0);
        let _ = write!(s, "{seq}}}");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_splice_the_sequence_into_valid_json() {
        let e = Event::new("posted")
            .to_channel("c1")
            .omit_user("u1")
            .with("post", json_string(&serde_json::json!({"id": "p"})));
        let text = e.encode(&e.data).with_seq(42);
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["seq"], 42);
        assert_eq!(v["event"], "posted");
        assert_eq!(v["data"]["post"], "{\"id\":\"p\"}");
        assert_eq!(v["broadcast"]["omit_users"]["u1"], true);
        assert_eq!(v["broadcast"]["channel_id"], "c1");
        assert_eq!(v["broadcast"]["user_id"], "");
    }
}
