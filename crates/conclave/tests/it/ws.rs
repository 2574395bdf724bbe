//! A WebSocket test client speaking Mattermost's protocol, strict about `seq`: every event
//! must carry exactly the next number, or the test fails.

use std::collections::VecDeque;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::support::TestServer;

pub type Stream = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a test waits for something that should arrive; only a failure waits this long.
const PATIENCE: Duration = Duration::from_secs(10);

pub struct Ws {
    pub stream: Stream,
    pub connection_id: String,
    /// The seq the next event must carry.
    pub next_seq: u64,
    req_seq: i64,
    /// Events read while waiting for something else.
    backlog: VecDeque<Value>,
    replies: VecDeque<Value>,
}

pub fn ws_url(s: &TestServer, query: &str) -> String {
    format!(
        "{}/api/v4/websocket{query}",
        s.base.replacen("http://", "ws://", 1)
    )
}

/// Opens a socket; `token` goes in `Authorization: Bearer`.
pub async fn open(s: &TestServer, token: Option<&str>, query: &str) -> Stream {
    try_open(s, token, query).await.expect("websocket upgrade")
}

pub async fn try_open(
    s: &TestServer,
    token: Option<&str>,
    query: &str,
) -> Result<Stream, tokio_tungstenite::tungstenite::Error> {
    let mut req = ws_url(s, query).into_client_request().unwrap();
    if let Some(t) = token {
        req.headers_mut()
            .insert("authorization", format!("Bearer {t}").parse().unwrap());
    }
    tokio_tungstenite::connect_async(req).await.map(|(s, _)| s)
}

/// Sends one JSON frame on a raw stream.
pub async fn send_json(stream: &mut Stream, v: Value) {
    stream
        .send(Message::Text(v.to_string().into()))
        .await
        .unwrap();
}

/// Reads the next text frame as JSON; `None` when the socket closed.
pub async fn read_json(stream: &mut Stream) -> Option<Value> {
    loop {
        let msg = tokio::time::timeout(PATIENCE, stream.next())
            .await
            .expect("timed out waiting for a frame")?;
        match msg {
            Ok(Message::Text(t)) => return Some(serde_json::from_str(&t).unwrap()),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => continue,
        }
    }
}

impl Ws {
    /// Connects with a token and waits for `hello` (seq 0).
    pub async fn connect(s: &TestServer, token: &str) -> Ws {
        let stream = open(s, Some(token), "").await;
        Ws::after_hello(stream).await
    }

    pub async fn after_hello(mut stream: Stream) -> Ws {
        let hello = read_json(&mut stream).await.expect("hello");
        assert_eq!(hello["event"], "hello", "first frame: {hello}");
        assert_eq!(hello["seq"], 0);
        let connection_id = hello["data"]["connection_id"].as_str().unwrap().to_owned();
        assert_eq!(connection_id.len(), 26);
        Ws {
            stream,
            connection_id,
            next_seq: 1,
            req_seq: 0,
            backlog: VecDeque::new(),
            replies: VecDeque::new(),
        }
    }

    /// Wraps a resumed socket that expects `next_seq` next (no hello).
    pub fn resumed(stream: Stream, connection_id: &str, next_seq: u64) -> Ws {
        Ws {
            stream,
            connection_id: connection_id.to_owned(),
            next_seq,
            req_seq: 100,
            backlog: VecDeque::new(),
            replies: VecDeque::new(),
        }
    }

    /// Reads one frame, sorting it into events (seq checked) and replies.
    async fn pump(&mut self) -> bool {
        let Some(v) = read_json(&mut self.stream).await else {
            return false;
        };
        if v.get("seq_reply").is_some() {
            self.replies.push_back(v);
        } else {
            assert_eq!(
                v["seq"].as_u64(),
                Some(self.next_seq),
                "event out of sequence: {v}"
            );
            self.next_seq += 1;
            self.backlog.push_back(v);
        }
        true
    }

    /// The next event, whatever it is.
    pub async fn next_event(&mut self) -> Value {
        loop {
            if let Some(e) = self.backlog.pop_front() {
                return e;
            }
            assert!(
                self.pump().await,
                "socket closed while waiting for an event"
            );
        }
    }

    /// Skips events until one named `name`; returns it whole.
    pub async fn wait_for(&mut self, name: &str) -> Value {
        loop {
            let e = self.next_event().await;
            if e["event"] == name {
                return e;
            }
        }
    }

    /// Sends a request and waits for its reply.
    pub async fn request(&mut self, action: &str, data: Value) -> Value {
        self.req_seq += 1;
        let seq = self.req_seq;
        self.send(json!({"seq": seq, "action": action, "data": data}))
            .await;
        loop {
            if let Some(pos) = self.replies.iter().position(|r| r["seq_reply"] == seq) {
                return self.replies.remove(pos).unwrap();
            }
            assert!(self.pump().await, "socket closed while waiting for a reply");
        }
    }

    pub async fn send(&mut self, v: Value) {
        send_json(&mut self.stream, v).await
    }

    /// Every event up to and including a marker only this user receives: a preference save.
    /// Lets a test assert what did *not* arrive without sleeping.
    pub async fn drain(&mut self, s: &TestServer, token: &str, user_id: &str) -> Vec<Value> {
        let marker = conclave_model::new_id();
        s.put(
            &format!("/users/{user_id}/preferences"),
            token,
            json!([{"user_id": user_id, "category": "drain", "name": marker, "value": "1"}]),
        )
        .await
        .expect(reqwest::StatusCode::OK);
        let mut seen = Vec::new();
        loop {
            let e = self.next_event().await;
            if e["event"] == "preferences_changed"
                && e["data"]["preferences"]
                    .as_str()
                    .is_some_and(|p| p.contains(&marker))
            {
                return seen;
            }
            seen.push(e);
        }
    }

    /// Waits until the server closes the socket; the close code, if one was sent.
    pub async fn closed(&mut self) -> Option<u16> {
        loop {
            let msg = tokio::time::timeout(PATIENCE, self.stream.next())
                .await
                .expect("socket stayed open");
            match msg {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| f.code.into()),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return None,
            }
        }
    }
}

/// Names of the events in a list.
pub fn names(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["event"].as_str().unwrap_or("").to_owned())
        .collect()
}

/// A payload field Mattermost sends as JSON inside a string, decoded.
pub fn inner(e: &Value, key: &str) -> Value {
    let s = e["data"][key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is not a JSON string in {e}"));
    serde_json::from_str(s).unwrap()
}
