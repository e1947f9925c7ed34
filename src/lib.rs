//! productbot answers questions about the OpenAI API vs ChatGPT from a document corpus.
//!
//! # Layout
//! The core knows nothing of Discord or terminals:
//! - [`corpus`] reads documents and splits them into passages; [`features`] loads the feature table.
//! - [`text`] is the shared analyzer; [`index`] wraps tantivy; [`understand`] finds products and
//!   features in a question; [`engine`] turns a question into an [`answer::Answer`].
//! - [`cost`] prices requests and conversations; [`store`] holds the serving snapshot and re-indexes
//!   it without downtime; [`config`] loads settings in layers.
//! - [`commands`] is the command table and the one dispatcher.
//!
//! Transports are thin: [`shell`] (and the CLI in `main.rs`) and [`discord`] build a command, call
//! [`commands::dispatch`] and render the reply.

pub mod answer;
pub mod commands;
pub mod config;
pub mod corpus;
pub mod cost;
pub mod discord;
pub mod engine;
pub mod features;
pub mod index;
pub mod shell;
pub mod store;
pub mod text;
pub mod understand;
pub mod watch;

/// Errors of loading and indexing, for callers that handle them alike.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Corpus(#[from] corpus::CorpusError),
    #[error(transparent)]
    Features(#[from] features::FeatureError),
    #[error(transparent)]
    Index(#[from] index::IndexError),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Config(#[from] config::ConfigError),
}
