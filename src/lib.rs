//! productbot answers product questions from a corpus of articles and a feature table, whatever the
//! products are: every name, feature and word it knows comes from the corpus directory.
//!
//! # Layout
//! The core knows nothing of Discord or terminals:
//! - [`corpus`] reads the corpus directory: documents split into passages, the feature table, the
//!   chat lexicon, with every problem named by file and line.
//! - [`text`] is the shared analyzer; [`index`] wraps tantivy; [`engine`] turns a question into an
//!   [`answer::Answer`] (plain data).
//! - [`cost`] prices requests and conversations; [`store`] holds the serving snapshot and re-indexes
//!   it without downtime; [`config`] loads settings in layers.
//! - [`commands`] is the command table and the one dispatcher; [`service`] is the one entry every
//!   transport calls (store, analytics, replicas, cooldown, requests in flight); [`app`] wires it
//!   once from the config.
//!
//! Transports are thin: [`shell`] (and the CLI in `main.rs`), [`discord`] (the gateway) and
//! [`http`] (the interactions endpoint) build a `(Command, Caller)`, call
//! [`service::Service::handle`] and render the reply: [`render`] for terminals and JSON,
//! `discord::render` for embeds.

pub mod analytics;
pub mod answer;
pub mod app;
pub mod charts;
pub mod commands;
pub mod config;
pub mod conversation;
pub mod cooldown;
pub mod corpus;
pub mod cost;
pub mod discord;
pub mod embed;
pub mod engine;
pub mod eval;
pub mod http;
pub mod index;
pub mod key;
pub mod metrics;
pub mod render;
pub mod replicas;
pub mod service;
pub mod shell;
pub mod store;
pub mod text;
pub mod watch;

/// Errors of loading and indexing, for callers that handle them alike.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Corpus(#[from] corpus::CorpusError),
    #[error(transparent)]
    Index(#[from] index::IndexError),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Config(#[from] config::ConfigError),
}
