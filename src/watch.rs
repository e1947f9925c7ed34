//! Optional corpus watching (`[corpus] watch = true`): re-index automatically, debounced, when files
//! in the corpus directory change. Same build, validation and reporting as `/reindex`.

use std::sync::Arc;
use std::time::Duration;

use notify_debouncer_mini::notify::RecursiveMode;
use notify_debouncer_mini::{DebounceEventResult, Debouncer, new_debouncer};
use tracing::{info, warn};

use crate::store::Store;

/// Keeps the watcher alive; dropping it stops watching.
pub struct Watcher {
    _debouncer: Debouncer<notify_debouncer_mini::notify::RecommendedWatcher>,
}

/// Starts watching the store's corpus directory. Each debounced burst of changes triggers one
/// re-index on the watcher's thread; a failure is logged and the serving index stays as it was.
pub fn spawn(store: Arc<Store>, debounce: Duration) -> anyhow::Result<Watcher> {
    let dir = store.config().corpus_dir.clone();
    let handler_store = store.clone();
    let mut debouncer = new_debouncer(debounce, move |res: DebounceEventResult| match res {
        Ok(events) if !events.is_empty() => {
            let files: Vec<String> =
                events.iter().filter_map(|e| e.path.file_name()).map(|n| n.to_string_lossy().into_owned()).collect();
            info!(?files, "corpus changed; re-indexing");
            match handler_store.reindex() {
                Ok(report) => info!("{}", crate::render::text::reindex(&report)),
                Err(e) => warn!("automatic re-index failed, still serving the previous index: {e}"),
            }
        }
        Ok(_) => {}
        Err(e) => warn!("corpus watcher error: {e}"),
    })?;
    debouncer.watcher().watch(&dir, RecursiveMode::NonRecursive)?;
    info!(dir = %dir.display(), "watching the corpus for changes");
    Ok(Watcher { _debouncer: debouncer })
}
