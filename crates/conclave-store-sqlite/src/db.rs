//! Connection handling: one writer thread that commits queued writes in groups, and a small
//! pool of read-only connections.
//!
//! Group commit: the writer takes every job waiting in its queue (up to `MAX_BATCH`), runs each
//! in its own savepoint inside one `BEGIN IMMEDIATE` transaction, commits once, and only then
//! answers the callers. A failing job rolls back to its savepoint without touching the others.
//! With `synchronous=FULL` the single fsync per batch makes every acknowledged write durable.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use conclave_store::{StoreError, StoreResult};
use rusqlite::Connection;
use tokio::sync::{Semaphore, mpsc, oneshot};

const MAX_BATCH: usize = 256;
const QUEUE_DEPTH: usize = 4096;
const READERS: usize = 4;
const BUSY_TIMEOUT_MS: u32 = 5000;

/// Called after the batch's commit with the commit's error, if any.
type Finisher = Box<dyn FnOnce(Option<&StoreError>) + Send>;
/// Runs against the writer connection; says whether it succeeded and how to answer the caller.
type Job = Box<dyn FnOnce(&Connection) -> (bool, Finisher) + Send>;

pub(crate) struct Db {
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
    readers: Mutex<Vec<Connection>>,
    reader_permits: Semaphore,
}

pub(crate) fn to_store_error(e: rusqlite::Error) -> StoreError {
    match e {
        rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound,
        rusqlite::Error::SqliteFailure(code, Some(msg))
            if code.code == rusqlite::ErrorCode::ConstraintViolation
                && msg.starts_with("UNIQUE constraint failed") =>
        {
            // "UNIQUE constraint failed: users.username" → "username"
            let field = msg.rsplit('.').next().unwrap_or("");
            StoreError::Conflict(match field {
                "username" => "username",
                "email" => "email",
                "token" => "token",
                "name" => "name",
                "user_id" => "member",
                _ => "id",
            })
        }
        other => StoreError::Internal(other.to_string()),
    }
}

/// Runs a query and maps every row.
pub(crate) fn query_vec<T>(
    c: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    map: impl FnMut(&rusqlite::Row) -> rusqlite::Result<T>,
) -> StoreResult<Vec<T>> {
    let mut stmt = c.prepare_cached(sql).map_err(to_store_error)?;
    let rows = stmt.query_map(params, map).map_err(to_store_error)?;
    rows.collect::<rusqlite::Result<Vec<_>>>()
        .map_err(to_store_error)
}

/// Runs a query that must return one row (`NotFound` otherwise).
pub(crate) fn query_one<T>(
    c: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    map: impl FnOnce(&rusqlite::Row) -> rusqlite::Result<T>,
) -> StoreResult<T> {
    c.prepare_cached(sql)
        .and_then(|mut s| s.query_row(params, map))
        .map_err(to_store_error)
}

/// Runs a statement; `NotFound` when it changed no row.
pub(crate) fn execute_one(
    c: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> StoreResult<()> {
    match c
        .prepare_cached(sql)
        .and_then(|mut s| s.execute(params))
        .map_err(to_store_error)?
    {
        0 => Err(StoreError::NotFound),
        _ => Ok(()),
    }
}

/// `?,?,…` for an `IN` list of `n` values. Only for lists that come after every numbered
/// parameter in the SQL text: SQLite numbers a bare `?` after the largest number seen so far.
pub(crate) fn placeholders(n: usize) -> String {
    vec!["?"; n].join(",")
}

/// `?first,?first+1,…` for an `IN` list of `n` values that may stand anywhere in the SQL.
pub(crate) fn numbered(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn open_connection(path: &Path, read_only: bool) -> StoreResult<Connection> {
    let conn = Connection::open(path).map_err(to_store_error)?;
    conn.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS.into()))
        .map_err(to_store_error)?;
    let pragmas = if read_only {
        "PRAGMA foreign_keys=ON; PRAGMA query_only=ON;"
    } else {
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
    };
    conn.execute_batch(pragmas).map_err(to_store_error)?;
    register_functions(&conn)?;
    Ok(conn)
}

/// SQLite's own `lower()` folds only A–Z; search needs the same Unicode case folding as
/// PostgreSQL, so queries use `fold(x)`, backed by Rust's `to_lowercase`.
fn register_functions(conn: &Connection) -> StoreResult<()> {
    use rusqlite::functions::FunctionFlags;
    conn.create_scalar_function(
        "fold",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let s: Option<String> = ctx.get(0)?;
            Ok(s.map(|s| s.to_lowercase()))
        },
    )
    .map_err(to_store_error)
}

impl Db {
    /// Opens (creating if needed) the database file, runs `init` on the writer connection
    /// (migrations), then starts the writer thread and the reader pool.
    pub(crate) fn open(
        path: PathBuf,
        init: impl FnOnce(&mut Connection) -> StoreResult<()>,
    ) -> StoreResult<Db> {
        let mut writer = open_connection(&path, false)?;
        init(&mut writer)?;
        let readers = (0..READERS)
            .map(|_| open_connection(&path, true))
            .collect::<StoreResult<Vec<_>>>()?;
        let (tx, rx) = mpsc::channel::<Job>(QUEUE_DEPTH);
        let handle = std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run_writer(writer, rx))
            .map_err(|e| StoreError::Internal(e.to_string()))?;
        Ok(Db {
            jobs: Mutex::new(Some(tx)),
            writer: Mutex::new(Some(handle)),
            readers: Mutex::new(readers),
            reader_permits: Semaphore::new(READERS),
        })
    }

    /// Runs `f` on the writer inside the next group-committed transaction and returns its
    /// result once that transaction is durable.
    pub(crate) async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let result = f(conn);
            let ok = result.is_ok();
            let finish: Finisher = Box::new(move |commit_error| {
                let _ = reply.send(match commit_error {
                    Some(e) => Err(e.clone()),
                    None => result,
                });
            });
            (ok, finish)
        });
        let sender = self.jobs.lock().unwrap().clone();
        let closed = || StoreError::Internal("database is closed".into());
        sender
            .ok_or_else(closed)?
            .send(job)
            .await
            .map_err(|_| closed())?;
        answer
            .await
            .map_err(|_| StoreError::Internal("write was not committed".into()))?
    }

    /// Runs `f` on a pooled read-only connection on the blocking thread pool.
    pub(crate) async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let _permit = self
            .reader_permits
            .acquire()
            .await
            .map_err(|_| StoreError::Internal("database is closed".into()))?;
        let conn = self
            .readers
            .lock()
            .unwrap()
            .pop()
            .expect("a permit guarantees a reader");
        let (conn, result) = tokio::task::spawn_blocking(move || {
            let result = f(&conn);
            (conn, result)
        })
        .await
        .map_err(|e| StoreError::Internal(e.to_string()))?;
        self.readers.lock().unwrap().push(conn);
        result
    }

    /// Stops accepting writes, lets the writer commit what is queued, and joins it.
    pub(crate) async fn close(&self) {
        self.jobs.lock().unwrap().take();
        let handle = self.writer.lock().unwrap().take();
        if let Some(handle) = handle {
            let _ = tokio::task::spawn_blocking(move || handle.join()).await;
        }
    }
}

fn run_writer(conn: Connection, mut jobs: mpsc::Receiver<Job>) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = jobs.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        commit_batch(&conn, batch.drain(..));
    }
}

fn commit_batch(conn: &Connection, batch: impl Iterator<Item = Job>) {
    let mut finishers = Vec::new();
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        // Dropping the jobs unanswered fails each caller's write; none of them ran.
        tracing::error!(error = %e, "sqlite writer could not begin a transaction");
        return;
    }
    for job in batch {
        let _ = conn.execute_batch("SAVEPOINT job");
        let (ok, finish) = job(conn);
        let end = if ok {
            "RELEASE job"
        } else {
            "ROLLBACK TO job; RELEASE job"
        };
        let _ = conn.execute_batch(end);
        finishers.push(finish);
    }
    let commit = conn.execute_batch("COMMIT").map_err(to_store_error);
    if commit.is_err() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    let error = commit.err();
    for finish in finishers {
        finish(error.as_ref());
    }
}
