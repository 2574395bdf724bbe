//! `GET /api/v4/websocket`: Mattermost's WebSocket protocol. The upgrade authenticates (or
//! waits for `authentication_challenge`), the hub numbers and buffers events, and one task per
//! socket writes them, answers client actions and keeps the socket alive.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use conclave_core::config::RealtimeConfig;
use conclave_core::{Actor, App, Error, ErrorKind, SocketAction};
use conclave_model::{is_valid_id, now_ms};
use conclave_realtime::{Close, Conn};
use futures_util::SinkExt;
use serde_json::{Value, json};
use tokio::time::{Instant, sleep_until, timeout};

use crate::AppState;
use crate::error::{ApiError, app_error_json};
use crate::extract::{MaybeAuth, Params};

/// Chat frames are small: per-socket buffers start small and grow only for big frames, so
/// idle sockets cost a few KiB.
const READ_BUFFER_BYTES: usize = 512;
const WRITE_BUFFER_BYTES: usize = 4 * 1024;
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// Close codes: 1008 for an ended session (do not resume), 1013 for a socket that fell
/// behind (resume), 1001 when the server stops or a newer socket took over.
const CLOSE_REVOKED: u16 = 1008;
const CLOSE_SLOW: u16 = 1013;
const CLOSE_GOING_AWAY: u16 = 1001;

pub(crate) async fn upgrade(
    State(state): State<AppState>,
    MaybeAuth(actor): MaybeAuth,
    Params(params): Params,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    check_origin(&headers)?;
    let resume = match (params.get("connection_id"), params.get("sequence_number")) {
        (Some(id), _) if !id.is_empty() && !is_valid_id(id) => {
            return Err(Error::invalid_param("connection_id").into());
        }
        (Some(id), Some(seq)) if !id.is_empty() => Some((
            id.clone(),
            seq.parse::<u64>()
                .map_err(|_| Error::invalid_param("sequence_number"))?,
        )),
        _ => None,
    };
    let rt = state.app.config().realtime.clone();
    let ip = peer.ip().to_string();
    let actor = actor.map(|a| Box::new(slim(a)));
    Ok(ws
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(WRITE_BUFFER_BYTES)
        .max_message_size(rt.max_message_bytes)
        .max_frame_size(rt.max_message_bytes)
        .on_upgrade(move |socket| async move {
            Socket {
                state,
                ws: socket,
                rt,
                ip,
            }
            .run(actor, resume)
            .await
        })
        .into_response())
}

/// Browsers send `Origin`; it must name this host (other clients send none).
fn check_origin(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or(origin);
    if origin_host.trim_end_matches('/').eq_ignore_ascii_case(host) {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::Forbidden,
            "api.web_socket.connect.origin.app_error",
            "The WebSocket origin does not match this server.",
        )
        .into())
    }
}

/// What a socket keeps of its actor for the actions it may run: identity and roles, not the
/// whole profile (a socket lives for hours; thousands of them should cost little).
fn slim(actor: Actor) -> Actor {
    let Actor { user, session, ip } = actor;
    Actor {
        user: conclave_model::User {
            id: user.id,
            username: user.username,
            roles: user.roles,
            delete_at: user.delete_at,
            ..Default::default()
        },
        session: conclave_model::Session {
            id: session.id,
            user_id: session.user_id,
            roles: session.roles,
            is_oauth: session.is_oauth,
            local: session.local,
            ..Default::default()
        },
        ip,
    }
}

/// A client request frame.
struct Request {
    seq: i64,
    action: String,
    data: Value,
}

fn parse_request(text: &str) -> Option<Request> {
    let v: Value = serde_json::from_str(text).ok()?;
    Some(Request {
        seq: v.get("seq").and_then(Value::as_i64).unwrap_or(0),
        action: v.get("action").and_then(Value::as_str)?.to_owned(),
        data: v.get("data").cloned().unwrap_or(Value::Null),
    })
}

fn reply_ok(seq: i64, data: Option<Value>) -> String {
    let mut v = json!({"status": "OK", "seq_reply": seq});
    if let Some(d) = data {
        v["data"] = d;
    }
    v.to_string()
}

fn reply_err(seq: i64, e: &Error) -> String {
    json!({"status": "FAIL", "seq_reply": seq, "error": app_error_json(e)}).to_string()
}

fn ws_error(kind: ErrorKind, id: &'static str, message: &str) -> Error {
    Error::new(kind, id, message)
}

struct Socket {
    state: AppState,
    ws: WebSocket,
    rt: RealtimeConfig,
    ip: String,
}

enum Ended {
    Gone,
    Close(u16, &'static str),
}

impl Socket {
    async fn run(mut self, actor: Option<Box<Actor>>, resume: Option<(String, u64)>) {
        let (actor, challenge_seq) = match actor {
            Some(a) => (a, None),
            // Rarely-taken paths with deep futures are boxed so every idle socket's task
            // stays small (an async fn's state is as large as its largest await point).
            None => match Box::pin(self.await_challenge()).await {
                Some((a, seq)) => (a, Some(seq)),
                None => {
                    let _ = self.ws.close().await;
                    return;
                }
            },
        };
        let app = self.state.app.clone();
        let resume_ref = resume.as_ref().map(|(id, seq)| (id.as_str(), *seq));
        let reg = match Box::pin(app.open_socket(&actor, resume_ref)).await {
            Ok(reg) => reg,
            Err(e) => {
                tracing::warn!(error = %e.message, "websocket registration failed");
                let _ = self.close(1011, "registration failed").await;
                return;
            }
        };
        if let Some(seq) = challenge_seq {
            let _ = self.send_text(reply_ok(seq, None)).await;
        }
        let ended = self.serve(&actor, &reg.conn, reg.socket).await;
        app.close_socket(&reg.conn, reg.socket);
        if let Ended::Close(code, reason) = ended {
            let _ = self.close(code, reason).await;
        }
    }

    /// Waits for `authentication_challenge`; anything else is refused, a bad token or the
    /// deadline closes the socket.
    async fn await_challenge(&mut self) -> Option<(Box<Actor>, i64)> {
        let deadline = Instant::now() + Duration::from_secs(self.rt.auth_timeout_secs);
        loop {
            let msg = tokio::select! {
                m = self.ws.recv() => m,
                _ = sleep_until(deadline) => return None,
            };
            let text = match msg? {
                Ok(Message::Text(t)) => t,
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => continue,
            };
            let Some(req) = parse_request(&text) else {
                continue;
            };
            if req.action == "authentication_challenge" {
                let token = req.data.get("token").and_then(Value::as_str).unwrap_or("");
                return match self.state.app.authenticate(token, &self.ip).await {
                    Ok(actor) => Some((Box::new(slim(actor)), req.seq)),
                    Err(_) => None,
                };
            }
            let e = ws_error(
                ErrorKind::Unauthorized,
                "api.web_socket_router.not_authenticated.app_error",
                "The socket is not authenticated.",
            );
            self.send_text(reply_err(req.seq, &e)).await.ok()?;
        }
    }

    async fn serve(&mut self, actor: &Actor, conn: &Arc<Conn>, socket: u64) -> Ended {
        let ping_every = Duration::from_secs(self.rt.ping_interval_secs);
        let read_timeout = Duration::from_secs(self.rt.read_timeout_secs);
        let mut next_ping = Instant::now() + ping_every;
        let mut deadline = Instant::now() + read_timeout;
        let mut pending = Vec::new();
        loop {
            match conn.take_pending(socket, &mut pending) {
                Ok(()) => {}
                Err(Close::Replaced) => return Ended::Close(CLOSE_GOING_AWAY, "replaced"),
                Err(Close::Slow) => return Ended::Close(CLOSE_SLOW, "too slow"),
                Err(Close::Revoked) => return Ended::Close(CLOSE_REVOKED, "session ended"),
                Err(Close::Stopping) => return Ended::Close(CLOSE_GOING_AWAY, "server stopping"),
            }
            if !pending.is_empty() {
                let written = tokio::select! {
                    r = self.write_all(&mut pending) => r,
                    _ = conn.until_closing(socket) => {
                        pending.clear();
                        continue;
                    }
                };
                if written.is_err() {
                    return Ended::Gone;
                }
            }
            tokio::select! {
                _ = conn.notified() => {}
                msg = self.ws.recv() => match msg {
                    Some(Ok(Message::Text(text))) => {
                        let app = self.state.app.clone();
                        if let Some(reply) = Box::pin(Self::handle(&app, actor, &text)).await
                            && self.send_text(reply).await.is_err()
                        {
                            return Ended::Gone;
                        }
                    }
                    Some(Ok(Message::Pong(_))) => {
                        deadline = Instant::now() + read_timeout;
                    }
                    Some(Ok(Message::Ping(_))) => {
                        // The pong is queued by the protocol layer; push it out.
                        if self.flush().await.is_err() {
                            return Ended::Gone;
                        }
                    }
                    Some(Ok(Message::Binary(_))) => {
                        let e = ws_error(
                            ErrorKind::BadRequest,
                            "api.web_socket_router.bad_action.app_error",
                            "Binary (MessagePack) requests are not supported.",
                        );
                        if self.send_text(reply_err(0, &e)).await.is_err() {
                            return Ended::Gone;
                        }
                    }
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return Ended::Gone,
                },
                _ = sleep_until(next_ping.min(deadline)) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Ended::Close(CLOSE_GOING_AWAY, "read timeout");
                    }
                    next_ping = now + ping_every;
                    if self.send(Message::Ping(Default::default())).await.is_err() {
                        return Ended::Gone;
                    }
                }
            }
        }
    }

    /// Runs one client request; the reply frame, if the request gets one.
    async fn handle(app: &App, actor: &Actor, text: &str) -> Option<String> {
        let Some(req) = parse_request(text) else {
            let e = ws_error(
                ErrorKind::BadRequest,
                "api.web_socket_router.bad_action.app_error",
                "The request is not a JSON object with an action.",
            );
            return Some(reply_err(0, &e));
        };
        if req.seq <= 0 {
            let e = ws_error(
                ErrorKind::BadRequest,
                "api.web_socket_router.bad_seq.app_error",
                "Invalid sequence number.",
            );
            return Some(reply_err(req.seq, &e));
        }
        let str_of = |key: &str| {
            req.data
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        let action = match req.action.as_str() {
            // Already authenticated: Mattermost ignores a second challenge without a reply.
            "authentication_challenge" => return None,
            "ping" => {
                return Some(reply_ok(
                    req.seq,
                    Some(json!({
                        "text": "pong",
                        "version": conclave_core::MATTERMOST_API_VERSION,
                        "server_time": now_ms(),
                        "node_id": "",
                    })),
                ));
            }
            // Notification-suppression hints and delivery acks: accepted, nothing to do yet.
            "presence" | "posted_notify_ack" => return Some(reply_ok(req.seq, None)),
            "user_typing" => SocketAction::Typing {
                channel_id: str_of("channel_id"),
                parent_id: str_of("parent_id"),
            },
            "get_statuses" => SocketAction::GetStatuses,
            "get_statuses_by_ids" => SocketAction::GetStatusesByIds(
                req.data
                    .get("user_ids")
                    .and_then(Value::as_array)
                    .map(|ids| {
                        ids.iter()
                            .filter_map(|v| v.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
            ),
            "user_update_active_status" => SocketAction::UpdateActiveStatus {
                active: req
                    .data
                    .get("user_is_active")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            },
            _ => {
                let e = ws_error(
                    ErrorKind::Internal,
                    "api.web_socket_router.bad_action.app_error",
                    "Unknown action.",
                );
                return Some(reply_err(req.seq, &e));
            }
        };
        Some(match app.socket_action(actor, action).await {
            Ok(data) => reply_ok(req.seq, data),
            Err(e) => reply_err(req.seq, &e),
        })
    }

    fn write_all<'a>(&'a mut self, frames: &'a mut Vec<String>) -> Write<'a> {
        let ws = &mut self.ws;
        bounded(async move {
            for text in frames.drain(..) {
                ws.feed(Message::Text(Utf8Bytes::from(text))).await?;
            }
            ws.flush().await
        })
    }

    fn send_text(&mut self, text: String) -> Write<'_> {
        self.send(Message::Text(Utf8Bytes::from(text)))
    }

    fn send(&mut self, msg: Message) -> Write<'_> {
        bounded(self.ws.send(msg))
    }

    fn flush(&mut self) -> Write<'_> {
        bounded(SinkExt::flush(&mut self.ws))
    }

    fn close(&mut self, code: u16, reason: &'static str) -> Write<'_> {
        self.send(Message::Close(Some(CloseFrame {
            code,
            reason: Utf8Bytes::from_static(reason),
        })))
    }
}

/// A socket write, boxed: writes are brief, and keeping their state out of the socket task
/// keeps every idle task small.
type Write<'a> = Pin<Box<dyn Future<Output = Result<(), ()>> + Send + 'a>>;

/// Bounds a write by `WRITE_TIMEOUT`; a stalled or failed write means the socket is gone.
fn bounded<'a, E>(write: impl Future<Output = Result<(), E>> + Send + 'a) -> Write<'a> {
    Box::pin(async move {
        match timeout(WRITE_TIMEOUT, write).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(()),
        }
    })
}
