//! Discord transport (serenity). Placeholder until the gateway transport lands.

use std::process::ExitCode;

use crate::config::Config;

pub fn serve_blocking(_config: Config) -> anyhow::Result<ExitCode> {
    anyhow::bail!("the Discord transport is not built yet")
}

pub fn register_blocking(_config: Config, _guild: Option<u64>) -> anyhow::Result<ExitCode> {
    anyhow::bail!("the Discord transport is not built yet")
}
