//! The integration suite: one binary, every test on SQLite and on PostgreSQL.

mod support;
mod ws;

mod api_accounts;
mod api_conventions;
mod api_messaging;
mod api_realtime;
mod api_security;
mod durability;
mod files;
mod search;
mod store;
mod store_messaging;
