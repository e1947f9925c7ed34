//! What the HTTP bench binaries share (each includes this file with `#[path]`): interactions as
//! Discord sends them, signed with the bench's key, and percentiles.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ed25519_dalek::{Signer as _, SigningKey};
use serde_json::json;

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Signs interactions as Discord does, each with a new id (from `next`) and the question it picks.
pub struct Signer {
    pub key: SigningKey,
    pub questions: Vec<String>,
}

impl Signer {
    /// The body, signature and timestamp of interaction `id`.
    pub fn sign(&self, id: u64) -> (Vec<u8>, String, String) {
        let ts = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs().to_string();
        let q = &self.questions[id as usize % self.questions.len()];
        let body = serde_json::to_vec(&interaction(id, q)).unwrap();
        let signature = hex(&self.key.sign(&[ts.as_bytes(), &body].concat()).to_bytes());
        (body, signature, ts)
    }
}

/// The value at fraction `p` of `sorted` (zero when empty).
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted.get(((sorted.len().max(1) - 1) as f64 * p).round() as usize).copied().unwrap_or_default()
}

pub fn interaction(id: u64, question: &str) -> serde_json::Value {
    json!({
        "id": id.to_string(), "application_id": "300000000000000001", "type": 2, "token": format!("t{id}"),
        "version": 1, "locale": "en-US", "entitlements": [], "app_permissions": "0", "attachment_size_limit": 8388608,
        "channel_id": "200000000000000001", "guild_id": "100000000000000001", "guild_locale": "en-US",
        "authorizing_integration_owners": {}, "context": 0,
        "data": { "id": "400000000000000001", "name": "ask", "type": 1,
                  "options": [{"name": "question", "type": 3, "value": question}] },
        "member": { "user": { "id": (600000000000000000u64 + id).to_string(), "username": "u", "discriminator": "0",
                              "global_name": null, "avatar": null },
                    "roles": [], "joined_at": "2025-01-01T00:00:00.000Z", "deaf": false, "mute": false,
                    "flags": 0, "permissions": "0" }
    })
}
