//! Conversations: a follow-up is read with the question before it. In a place that is one
//! conversation (the shell, a DM, a thread the bot started, a forum post it answered), each
//! question's [`Topic`] (the features, products and models it was about) is kept; the next question
//! that names only a product ("and the API?"), only a feature ("what about fine-tuning?"), or points
//! back without naming anything ("how much would that be?") is rewritten with the topic's missing
//! half ([`read`]), and the reply says so. What a question names comes from the engine's
//! understanding of the corpus's table ([`crate::engine::Mentions`]), never from words listed here.
//!
//! Topics (ids only, never the question's text) and the places the bot answers without a mention
//! are kept in memory and in the analytics database ([`Memory`]), so they survive a restart and
//! are shared by replicas; a database fault only loses the context, never the answer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::analytics::{Analytics, now_ms};
use crate::corpus::FeatureTable;
use crate::engine::Mentions;

/// `[conversation]` in bot.toml.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConversationConfig {
    /// Follow-ups in a row read with the topic before a question must name its subject again
    /// (0: every question is read alone).
    pub turns: u32,
    /// A topic older than this is forgotten.
    pub expiry: Duration,
}

impl Default for ConversationConfig {
    fn default() -> Self {
        ConversationConfig { turns: 5, expiry: Duration::from_secs(30 * 60) }
    }
}

/// What a conversation's last question was about: ids from the feature table and model names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topic {
    pub features: Vec<String>,
    pub products: Vec<String>,
    pub models: Vec<String>,
    /// How many follow-ups in a row were read with this topic.
    pub follow_ups: u32,
}

/// A follow-up read in context: the question to answer instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    pub question: String,
    /// The topic's half that was taken.
    took: Took,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Took {
    Features,
    Products,
    Referent,
}

/// At most this many other informative words in a question that names only a feature for it to be
/// read as a follow-up ("does it have batch too?"); a question naming only a product is one only
/// with no word of its own ("and the API?", "is that in the API?", but not "webhooks in ChatGPT?").
const MAX_OWN_WORDS_FEATURE: usize = 1;

/// How `asked` (which names `m`) reads after a question about `prev`, or `None` when it stands
/// alone: it names a feature and a product, names nothing and points back to nothing, or has too
/// much of its own to be a follow-up.
pub fn read(prev: &Topic, m: &Mentions, asked: &str, table: &FeatureTable) -> Option<Reading> {
    let only_products = !m.products.is_empty() && m.features.is_empty() && m.models.is_empty();
    let only_features = !m.features.is_empty() && m.products.is_empty() && m.models.is_empty();
    if only_products && m.other_words == 0 && !prev.features.is_empty() {
        let question = availability_question(table, &m.products, &prev.features)?;
        return Some(Reading { question, took: Took::Features });
    }
    if only_features && m.other_words <= MAX_OWN_WORDS_FEATURE && !prev.products.is_empty() {
        let question = availability_question(table, &prev.products, &m.features)?;
        return Some(Reading { question, took: Took::Products });
    }
    // Pointing back is read only in a question ("looking into it" is not one).
    if !m.names_anything() && m.refers_back && asked.contains('?') {
        // The referent: the model talked about, else the feature (in the product asked about).
        let referent = match (prev.models.first(), prev.features.first()) {
            (Some(model), _) => model.clone(),
            (None, Some(f)) => {
                let feature = feature_phrase(table, f)?;
                match prev.products.as_slice() {
                    [p] => format!("{feature} in {}", product_name(table, p)?),
                    _ => feature,
                }
            }
            (None, None) => return None,
        };
        let question = replace_first_referring(asked, &referent)?;
        return Some(Reading { question, took: Took::Referent });
    }
    None
}

/// The topic after a question: what the question answered names (`m`, of the question read), with
/// the halves a follow-up took from `prev`, and the answer's own features when it named none.
pub fn next_topic(prev: Option<&Topic>, reading: Option<&Reading>, m: &Mentions, answered: &[String]) -> Topic {
    let features = if m.features.is_empty() { answered.to_vec() } else { m.features.clone() };
    let mut topic = Topic { features, products: m.products.clone(), models: m.models.clone(), follow_ups: 0 };
    if let (Some(prev), Some(reading)) = (prev, reading) {
        topic.follow_ups = prev.follow_ups + 1;
        if reading.took == Took::Referent {
            if topic.products.is_empty() {
                topic.products = prev.products.clone();
            }
            if topic.models.is_empty() {
                topic.models = prev.models.clone();
            }
        }
    }
    topic
}

/// "does the API have memory?", in the table's words.
fn availability_question(table: &FeatureTable, products: &[String], features: &[String]) -> Option<String> {
    let products: Vec<String> = products.iter().map(|p| product_name(table, p)).collect::<Option<_>>()?;
    let features: Vec<String> = features.iter().map(|f| feature_phrase(table, f)).collect::<Option<_>>()?;
    let verb = if products.len() > 1 { "do" } else { "does" };
    Some(format!("{verb} {} have {}?", and_list(&products), and_list(&features)))
}

fn product_name(table: &FeatureTable, id: &str) -> Option<String> {
    table.products.iter().find(|p| p.id == id).map(|p| p.name.clone())
}

/// A feature's name as it reads inside a sentence: "Memory" -> "memory"; "GPTs", "API keys" stay.
fn feature_phrase(table: &FeatureTable, id: &str) -> Option<String> {
    let name = &table.features.iter().find(|f| f.id == id)?.name;
    let mut chars = name.chars();
    let first = chars.next()?;
    let second_lower = chars.next().is_none_or(|c| !c.is_uppercase());
    let first_word = name.split_whitespace().next().unwrap_or_default();
    let acronym = first_word.chars().filter(|c| c.is_uppercase()).count() > 1;
    Some(if first.is_uppercase() && second_lower && !acronym {
        first.to_lowercase().chain(name[first.len_utf8()..].chars()).collect()
    } else {
        name.clone()
    })
}

fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// `asked` with its first word that points back replaced by `referent`.
fn replace_first_referring(asked: &str, referent: &str) -> Option<String> {
    let mut at = 0;
    for word in asked.split_inclusive(|c: char| !c.is_alphanumeric() && c != '\'') {
        let bare = word.trim_end_matches(|c: char| !c.is_alphanumeric() && c != '\'');
        if crate::text::is_referring(&bare.to_lowercase()) {
            return Some(format!("{}{referent}{}", &asked[..at], &asked[at + bare.len()..]));
        }
        at += word.len();
    }
    None
}

/// Where conversations and the bot's own places (threads) are kept: in memory, and in the analytics
/// database when there is one (the newer of the two wins; the database is the one replicas and
/// restarts share). A database that cannot be read is not asked again for a while.
pub struct Memory {
    analytics: Option<Arc<Analytics>>,
    local: Mutex<Local>,
}

#[derive(Default)]
struct Local {
    /// Key -> (value, when stored, Unix ms).
    entries: HashMap<String, (String, i64)>,
    /// After a read failure, the database is not read again until then.
    db_down_until: Option<Instant>,
    /// Places looked up and not found, and when: not looked up again for [`MISS_TTL`] (a chat
    /// transport asks about every channel a message comes from).
    misses: HashMap<String, Instant>,
}

/// Bound on what is kept in memory (a process runs for weeks); past it, it starts over (the
/// database still has everything).
const MAX_LOCAL: usize = 20_000;
/// How long a place not found is taken as not one of the bot's, without asking the database.
const MISS_TTL: Duration = Duration::from_secs(60);
/// How long a database that could not be read is left alone.
const DB_RETRY: Duration = Duration::from_secs(30);

impl Memory {
    pub fn new(analytics: Option<Arc<Analytics>>) -> Memory {
        Memory { analytics, local: Mutex::new(Local::default()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Local> {
        self.local.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores `value` under `key`, here and (queued) in the database.
    pub fn put(&self, key: &str, value: String) {
        if let Some(a) = &self.analytics {
            a.put_state(key, &value);
        }
        let mut local = self.lock();
        if local.entries.len() >= MAX_LOCAL {
            local.entries.clear();
        }
        local.misses.remove(key);
        local.entries.insert(key.to_owned(), (value, now_ms()));
    }

    /// The newest value stored under `key` (here or by any process on the same database), with when.
    pub fn get(&self, key: &str) -> Option<(String, i64)> {
        let (here, ask_db) = {
            let local = self.lock();
            (local.entries.get(key).cloned(), local.db_down_until.is_none_or(|t| Instant::now() >= t))
        };
        let there = match (&self.analytics, ask_db) {
            (Some(a), true) => match a.state(key) {
                Ok(v) => v,
                Err(e) => {
                    tracing::debug!("conversation state unreadable, answering without it: {e}");
                    self.lock().db_down_until = Some(Instant::now() + DB_RETRY);
                    None
                }
            },
            _ => None,
        };
        match (here, there) {
            (Some(h), Some(t)) => Some(if t.1 > h.1 { t } else { h }),
            (h, t) => h.or(t),
        }
    }

    /// The conversation's topic, unless it is older than `expiry`.
    pub fn topic(&self, conversation: &str, expiry: Duration) -> Option<Topic> {
        let (value, at) = self.get(&format!("conversation:{conversation}"))?;
        let age = now_ms().saturating_sub(at);
        if age > expiry.as_millis().min(i64::MAX as u128) as i64 {
            return None;
        }
        serde_json::from_str(&value).ok()
    }

    pub fn set_topic(&self, conversation: &str, topic: &Topic) {
        if let Ok(value) = serde_json::to_string(topic) {
            self.put(&format!("conversation:{conversation}"), value);
        }
    }

    /// Remembers a place (a thread the bot started, a forum post it answered) as one of the bot's,
    /// with the channel it is in when known.
    pub fn remember_place(&self, place: &str, parent: Option<u64>) {
        self.put(&format!("place:{place}"), parent.map(|p| p.to_string()).unwrap_or_default());
    }

    /// The channel a place of the bot's is in, if it was remembered with one.
    pub fn parent_of(&self, place: &str) -> Option<u64> {
        self.get(&format!("place:{place}")).and_then(|(v, _)| v.parse().ok())
    }

    pub fn is_place(&self, place: &str) -> bool {
        let key = format!("place:{place}");
        {
            let local = self.lock();
            if local.entries.contains_key(&key) {
                return true;
            }
            if local.misses.get(&key).is_some_and(|t| t.elapsed() < MISS_TTL) {
                return false;
            }
        }
        let found = self.get(&key).is_some();
        if !found {
            let mut local = self.lock();
            if local.misses.len() >= MAX_LOCAL {
                local.misses.clear();
            }
            local.misses.insert(key, Instant::now());
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_referring_word_is_replaced() {
        assert_eq!(
            replace_first_referring("how much would that be at 10k calls a day?", "gpt-4o").as_deref(),
            Some("how much would gpt-4o be at 10k calls a day?")
        );
        assert_eq!(replace_first_referring("Is it there?", "memory").as_deref(), Some("Is memory there?"));
        assert_eq!(replace_first_referring("what about prices?", "x"), None);
        // Inside a word is not a word.
        assert_eq!(replace_first_referring("thistle?", "x"), None);
    }

    #[test]
    fn lists_read_as_english() {
        assert_eq!(and_list(&["a".into()]), "a");
        assert_eq!(and_list(&["a".into(), "b".into(), "c".into()]), "a, b and c");
    }

    #[test]
    fn a_stale_topic_is_forgotten_and_a_fresh_one_kept() {
        let m = Memory::new(None);
        let t = Topic { features: vec!["f".into()], ..Topic::default() };
        m.set_topic("c", &t);
        assert_eq!(m.topic("c", Duration::from_secs(60)), Some(t));
        m.lock().entries.get_mut("conversation:c").unwrap().1 -= 61_000;
        assert_eq!(m.topic("c", Duration::from_secs(60)), None);
        assert!(!m.is_place("p"));
        m.remember_place("p", Some(7));
        assert!(m.is_place("p"));
        assert_eq!(m.parent_of("p"), Some(7));
    }
}
