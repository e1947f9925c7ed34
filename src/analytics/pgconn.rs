//! One PostgreSQL connection that never waits unboundedly, for a thread that works synchronously
//! (the analytics writer, a reader, a replica's listener): tokio-postgres on a runtime of its own,
//! with every step bounded. Connecting (the TCP connection and the start-up exchange) must finish
//! within [`TIMEOUT`], each statement is cancelled by the server after [`TIMEOUT`]
//! (`statement_timeout`), and a server that accepts and then never answers is given up on by the
//! client a little later; the connection is then closed, and the error names the database (never
//! its password).

use std::path::Path;
use std::time::Duration;

use tokio_postgres::{AsyncMessage, Client, Config, NoTls, Notification};

use super::db::DbError;

/// How long connecting, or any statement, may take.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// How much longer than the server's own statement timeout the client waits for an answer.
const GRACE: Duration = Duration::from_secs(1);

pub struct PgConn {
    rt: tokio::runtime::Runtime,
    client: Option<Client>,
    notifications: tokio::sync::mpsc::UnboundedReceiver<Notification>,
    shown: String,
}

/// A driver error as text: the server's message when it sent one.
pub fn message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => db.message().to_owned(),
        None => e.to_string(),
    }
}

impl PgConn {
    /// Connects to `url`, within [`TIMEOUT`].
    pub fn connect(url: &str) -> Result<PgConn, DbError> {
        let shown = super::shown_database(Path::new(url));
        let mut config: Config = url.parse().map_err(|e| DbError(format!("{shown}: {}", message(&e))))?;
        config.connect_timeout(TIMEOUT);
        let options =
            format!("{} -c statement_timeout={}", config.get_options().unwrap_or_default(), TIMEOUT.as_millis());
        config.options(options.trim());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| DbError(format!("cannot start a runtime for {shown}: {e}")))?;
        // (Timers are made inside the runtime, which they need.)
        let (client, mut connection) =
            match rt.block_on(async { tokio::time::timeout(TIMEOUT, config.connect(NoTls)).await }) {
                Ok(Ok(c)) => c,
                Ok(Err(e)) => return Err(DbError(format!("{shown}: {}", message(&e)))),
                Err(_) => return Err(DbError(format!("{shown} did not answer within {} s", TIMEOUT.as_secs()))),
            };
        let (tx, notifications) = tokio::sync::mpsc::unbounded_channel();
        // Drives the connection whenever this runtime runs (during each call below); ends, closing
        // the channel, when the connection does.
        rt.spawn(async move {
            while let Some(Ok(message)) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                if let AsyncMessage::Notification(n) = message {
                    let _ = tx.send(n);
                }
            }
        });
        Ok(PgConn { rt, client: Some(client), notifications, shown })
    }

    /// The database as messages name it.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    pub fn is_closed(&self) -> bool {
        self.client.as_ref().is_none_or(Client::is_closed)
    }

    fn lost(&self) -> DbError {
        DbError(format!("the connection to {} was lost", self.shown))
    }

    /// Runs `f` on the connection; a server that does not answer in time closes it.
    pub fn run<T>(
        &mut self,
        f: impl AsyncFnOnce(&mut Client) -> Result<T, tokio_postgres::Error>,
    ) -> Result<T, DbError> {
        let Some(client) = self.client.as_mut() else { return Err(self.lost()) };
        match self.rt.block_on(async { tokio::time::timeout(TIMEOUT + GRACE, f(client)).await }) {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(DbError(message(&e))),
            Err(_) => {
                self.client = None;
                Err(DbError(format!("{} did not answer within {} s", self.shown, (TIMEOUT + GRACE).as_secs())))
            }
        }
    }

    /// The next notification (`LISTEN`), waiting up to `wait`; `None` when none came.
    pub fn next_notification(&mut self, wait: Duration) -> Result<Option<Notification>, DbError> {
        if self.is_closed() {
            return Err(self.lost());
        }
        let notifications = &mut self.notifications;
        match self.rt.block_on(async { tokio::time::timeout(wait, notifications.recv()).await }) {
            Ok(Some(n)) => Ok(Some(n)),
            Ok(None) => {
                self.client = None;
                Err(self.lost())
            }
            Err(_) => Ok(None),
        }
    }
}
