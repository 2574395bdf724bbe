//! The real-time hub: which sockets belong to which users, which users are in which channels
//! and teams, and a per-connection sequence with a replay ring so a dropped socket can resume
//! without losing an event. Pure in-memory state; it does no I/O and checks no permissions
//! (services decide what to publish, `conclave-http` owns the sockets).

mod conn;
mod event;
mod hub;

pub use conn::{Close, Conn};
pub use event::{Broadcast, Event, Membership, json_string};
pub use hub::{Hub, HubConfig, HubStats, Registration, SocketUser};
