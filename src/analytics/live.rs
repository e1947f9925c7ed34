//! Reads (and the shared cooldown's writes) on an answer's path: a connection of their own on a
//! thread of their own, each call given [`DEADLINE`] to answer. A database that is slow, silent or
//! down costs one answer at most that long, then is left alone for [`RETRY`] (the caller goes on
//! without it: a question read alone, a cooldown counted in this process).

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::{Duration, Instant};

use super::db::{Db, DbError};

/// How long a call waits for the database.
pub const DEADLINE: Duration = Duration::from_millis(500);
/// How long a database that failed or was late is left alone.
const RETRY: Duration = Duration::from_secs(30);
/// Calls waiting at most (past it, a call fails at once).
const QUEUE: usize = 64;

type Job = Box<dyn FnOnce(Result<&mut Db, DbError>) + Send>;

pub struct Live {
    tx: SyncSender<Job>,
    /// After a fault, calls fail at once until then.
    retry_at: Mutex<Option<Instant>>,
}

impl Live {
    pub fn start(database: PathBuf) -> Live {
        let (tx, rx) = sync_channel::<Job>(QUEUE);
        let spawned = std::thread::Builder::new().name("analytics-live".into()).spawn(move || work(&database, rx));
        if let Err(e) = spawned {
            tracing::warn!("cannot start the analytics reader: {e}");
        }
        Live { tx, retry_at: Mutex::new(None) }
    }

    /// Runs `f` on the connection (opened first if need be) within [`DEADLINE`].
    pub fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Db) -> Result<T, DbError> + Send + 'static,
    ) -> Result<T, DbError> {
        let mut retry_at = self.retry_at.lock().unwrap_or_else(|e| e.into_inner());
        if retry_at.is_some_and(|t| Instant::now() < t) {
            return Err(DbError("the database failed recently".into()));
        }
        drop(retry_at);
        let (reply, answer) = sync_channel::<Result<T, DbError>>(1);
        let job: Job = Box::new(move |conn: Result<&mut Db, DbError>| {
            let _ = reply.send(conn.and_then(f));
        });
        let result = match self.tx.try_send(job) {
            Ok(()) => answer
                .recv_timeout(DEADLINE)
                .unwrap_or_else(|_| Err(DbError(format!("no answer within {} ms", DEADLINE.as_millis())))),
            Err(TrySendError::Full(_)) => Err(DbError("too many calls waiting".into())),
            Err(TrySendError::Disconnected(_)) => Err(DbError("the reader thread is gone".into())),
        };
        if result.is_err() {
            retry_at = self.retry_at.lock().unwrap_or_else(|e| e.into_inner());
            *retry_at = Some(Instant::now() + RETRY);
        }
        result
    }
}

/// Runs jobs until every sender is gone. A server connection is kept between jobs (and opened
/// again once lost); an SQLite file is opened read-only for each job (cheap, and a file created or
/// replaced meanwhile is seen).
fn work(database: &std::path::Path, rx: Receiver<Job>) {
    let mut kept: Option<Db> = None;
    while let Ok(job) = rx.recv() {
        if kept.as_ref().is_some_and(Db::is_closed) {
            kept = None;
        }
        match kept.as_mut() {
            Some(db) => job(Ok(db)),
            None => match Db::open_read(database) {
                Ok(mut db) => {
                    job(Ok(&mut db));
                    if super::is_postgres(database) && !db.is_closed() {
                        kept = Some(db);
                    }
                }
                Err(e) => job(Err(e)),
            },
        }
    }
}
