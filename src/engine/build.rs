//! Building an engine: everything worked out once from the corpus and the index (stems of the
//! corpus's words, the alias matcher, feature cards, precomputed score lists, passages' meanings),
//! so an answer only looks things up.

use super::*;

impl Engine {
    /// `overrides` are prices from outside the corpus (bot.toml's `[pricing]`, or none): the engine
    /// prices with them and the corpus's price files, a model of the same name taken from `overrides`.
    pub fn new(index: SearchIndex, mut corpus: Corpus, overrides: Arc<PriceTable>, revision: Revision) -> Self {
        corpus.table.normalize();
        let (prices, overridden) = corpus::prices::combined(&corpus.prices, &overrides);
        if !overridden.is_empty() {
            tracing::debug!("bot.toml [pricing] overrides the corpus's prices of {}", overridden.join(", "));
        }
        let prices = Arc::new(prices);
        let word_analyzer = WordAnalyzer::with_vocabulary(vocabulary(&corpus), MAX_KNOWN_WORDS);
        let mut index_analyzer = index.analyzer();
        // Every feature's name and aliases as words, worked out once (on two threads): the
        // uncovered topics, the alias matcher and the feature cards all read them. Their words
        // join the vocabulary.
        let (named, learned) = FeatureWords::all(&corpus.table.features, &word_analyzer, &index_analyzer);
        let mut word_analyzer = word_analyzer.knowing(learned, MAX_KNOWN_WORDS);
        // Each passage body's words, and their stems.
        let body_words: Vec<Vec<text::Word>> = corpus.passages.iter().map(|p| word_analyzer.words(&p.text)).collect();
        let bodies: Vec<Vec<String>> =
            body_words.iter().map(|words| words.iter().map(|w| w.stem.clone()).collect()).collect();
        let doc_index = |id: &str| corpus.docs.iter().position(|d| d.id == id).unwrap_or(usize::MAX);
        let passage_doc: Vec<usize> = corpus.passages.iter().map(|p| doc_index(&p.doc)).collect();
        let feature_doc: Vec<usize> = corpus.table.features.iter().map(|f| doc_index(&f.doc)).collect();
        let feature_docs: Vec<Vec<usize>> = corpus
            .table
            .features
            .iter()
            .map(|f| {
                let mut docs: Vec<usize> = f.evidence.iter().map(|e| doc_index(&e.doc)).collect();
                docs.dedup();
                docs
            })
            .collect();
        let doc_vendors = doc_vendors(&corpus, doc_index);
        let topics = uncovered_topics(&corpus, &named, &bodies, &passage_doc, &feature_docs, &mut word_analyzer);
        let other_docs = mentioned_others(&corpus, &bodies, &passage_doc, &mut word_analyzer);
        // From here on, each feature's name's and aliases' index terms (the cards' own field) and
        // the aliases' words (the matcher's, moved into it).
        let (own_terms, alias_words): (Vec<_>, Vec<_>) = named.into_iter().map(|n| (n.terms, n.aliases)).unzip();
        // Each article's title words, stemmed, and how many passages it has and in how many of them
        // each word is.
        let titles: Vec<Vec<String>> =
            corpus.docs.iter().map(|d| word_analyzer.words(&d.title).into_iter().map(|w| w.stem).collect()).collect();
        // Per article, the same for the index terms of its passages (their stems less the stopwords
        // the index drops), which the feature cards weigh their words by.
        let mut spread: Vec<articles::Spread> = vec![Default::default(); corpus.docs.len()];
        let mut terms_df: Vec<(usize, FxHashMap<String, usize>)> = vec![Default::default(); corpus.docs.len()];
        // Each passage's index terms, in order (a feature's card reads its passage's).
        let passage_terms: Vec<Vec<String>> = corpus
            .passages
            .iter()
            .zip(&body_words)
            .map(|(p, words)| text::index_terms(&p.text, words, &mut index_analyzer))
            .collect();
        for ((body, terms), &d) in bodies.iter().zip(&passage_terms).zip(&passage_doc) {
            let (Some((passages, df)), Some((term_passages, term_df))) = (spread.get_mut(d), terms_df.get_mut(d))
            else {
                continue;
            };
            *passages += 1;
            let mut seen = HashSet::new();
            for w in body.iter().filter(|w| seen.insert(w.as_str())) {
                *df.entry(w.as_str()).or_default() += 1;
            }
            *term_passages += 1;
            let mut seen = HashSet::new();
            for t in terms.iter().filter(|t| seen.insert(t.as_str())) {
                *term_df.entry(t.clone()).or_default() += 1;
            }
        }
        let is_subject = |fi: usize, stems: &[&str]| {
            let doc = feature_doc[fi];
            let (Some(title), Some((n, df))) = (titles.get(doc), spread.get(doc)) else { return false };
            corpus::scope::subject(stems, title, *n, |s| df.get(s).copied().unwrap_or(0)).is_some()
        };
        // The alias matcher on one thread, the feature cards and score lists on another: for a
        // large table they are most of the start-up, and neither reads the other.
        let (mut words, mut analyzer) = (word_analyzer.clone(), index_analyzer.clone());
        let (matcher, (features, alias_scores, synonyms, synonym_scores, cards)) = std::thread::scope(|scope| {
            let cards = scope.spawn(|| {
                let features = &corpus.table.features;
                // The aliases' index terms, each once: what the feature's searches are widened with.
                let alias_terms: Vec<Vec<String>> = own_terms
                    .iter()
                    .map(|(_, aliases)| {
                        let mut seen = FxHashSet::default();
                        aliases.iter().flatten().filter(|t| seen.insert(t.as_str())).cloned().collect()
                    })
                    .collect();
                let searcher = index.searcher();
                let stats = Stats::new(&searcher);
                let indexed: Vec<FeatureIndex> = features
                    .iter()
                    .zip(&alias_terms)
                    .map(|(f, terms)| FeatureIndex {
                        passage: supporting_passage(f, &corpus.passages),
                        evidence: f.evidence.iter().map(|e| evidence_passage(e, &corpus.passages)).collect(),
                        // The first aliases are the canonical ones; more would widen recall past the
                        // feature.
                        expansion: terms.iter().take(MAX_EXPANSION_TERMS).cloned().collect(),
                        highlights: index.highlight_weights(&stats, terms),
                    })
                    .collect();
                let alias_scores = term_scores(&index, indexed.iter().flat_map(|f| &f.expansion), EXPANSION_BOOST);
                let synonyms = synonym_map(&corpus.table.synonyms, &mut analyzer);
                let synonym_scores = term_scores(&index, synonyms.values().flatten(), SYNONYM_BOOST);
                // A term's spread: 1 - its idf over the rarest term's, so a word in every passage of
                // the article counts for (almost) nothing and one in a single passage fully.
                let idf = |passages: f32, df: f32| (1.0 + (passages - df + 0.5) / (df + 0.5)).ln();
                let cards = Cards::build(
                    features,
                    |i| {
                        let (name, aliases) = &own_terms[i];
                        name.iter().chain(aliases.iter().flatten()).cloned().collect()
                    },
                    |i| {
                        indexed[i]
                            .passage
                            .filter(|_| features[i].heading.is_some())
                            .map(|p| passage_terms[p].as_slice())
                    },
                    |card| feature_doc[card].min(corpus.docs.len()),
                    // Weighed within the card's own article, so adding an article leaves the others'
                    // cards alone.
                    |card, t| {
                        let Some((passages, df)) = terms_df.get(feature_doc[card]) else { return 0.0 };
                        let passages = (*passages).max(1) as f32;
                        match df.get(t) {
                            None | Some(0) => 0.0,
                            Some(&df) => 1.0 - idf(passages, df as f32) / idf(passages, 1.0),
                        }
                    },
                    // Stems the vocabulary already knows are not worked out again.
                    &mut |t| text::index_terms(t, &words.words(t), &mut analyzer),
                );
                (indexed, alias_scores, synonyms, synonym_scores, cards)
            });
            let names: Vec<String> = topics.iter().map(|(t, _)| t.clone()).collect();
            let matcher = Matcher::new(&corpus.table, alias_words, &names, &mut word_analyzer, &is_subject);
            (matcher, cards.join().expect("building the feature cards does not panic"))
        });
        let articles = Articles::new(&vendor_titles(&corpus, &titles, &doc_vendors, &mut word_analyzer), &spread);
        // Per article, its passages' index terms and its headings' (as the index has them: an
        // intro's heading is not indexed), for questions that leave other articles out.
        let mut doc_terms: Vec<known::DocTerms> = terms_df
            .into_iter()
            .map(|(passages, df)| known::DocTerms { passages, df, headings: FxHashSet::default() })
            .collect();
        for (p, &d) in corpus.passages.iter().zip(&passage_doc) {
            if let Some(t) = doc_terms.get_mut(d).filter(|_| !p.intro) {
                t.headings.extend(text::terms(&mut index_analyzer, &p.heading));
            }
        }
        let mut identifiers: FxHashSet<String> =
            corpus.passages.iter().flat_map(|p| identifiers_in(&p.text).map(|(_, t)| t)).collect();
        let priced = prices.models().iter().any(|m| {
            std::iter::once(m.name())
                .chain(m.aliases().iter().map(String::as_str))
                .any(|n| identifiers.contains(&n.to_lowercase()))
        });
        for m in prices.models() {
            identifiers.insert(m.name().to_lowercase());
            identifiers.extend(m.aliases().iter().map(|a| a.to_lowercase()));
        }
        let passage_tokens = (0..corpus.passages.len()).map(|_| OnceLock::new()).collect();
        let heading_terms = (0..corpus.passages.len()).map(|_| OnceLock::new()).collect();
        let passage_features = (0..corpus.passages.len()).map(|_| OnceLock::new()).collect();
        let featured: FxHashSet<(&str, &str)> = features
            .iter()
            .flat_map(|f| f.passage.iter().chain(f.evidence.iter().flatten()))
            .map(|&pid| (corpus.passages[pid].doc.as_str(), corpus.passages[pid].section.as_str()))
            .collect();
        let feature_section =
            corpus.passages.iter().map(|p| featured.contains(&(p.doc.as_str(), p.section.as_str()))).collect();
        let embedder = crate::embed::Embedder::shared();
        let mut by_section: FxHashMap<&str, crate::embed::Vector> = FxHashMap::default();
        let section_vecs = corpus
            .passages
            .iter()
            .map(|p| by_section.entry(p.section.as_str()).or_insert_with(|| embedder.embed(&p.section)).clone())
            .collect();
        let passage_vecs =
            corpus.passages.iter().map(|p| embedder.embed(&format!("{}. {}", p.heading, p.text))).collect();
        Engine {
            passage_vecs,
            section_vecs,
            decisions: Decisions::shipped(),
            index,
            corpus,
            features,
            matcher,
            cards,
            articles,
            passage_doc,
            doc_terms,
            feature_docs,
            doc_vendors,
            topic_docs: topics,
            other_docs,
            alias_scores,
            synonyms,
            synonym_scores,
            identifiers,
            priced,
            word_analyzer,
            index_analyzer,
            passage_tokens,
            heading_terms,
            passage_features,
            feature_section,
            prices,
            revision,
        }
    }

    /// Loads the corpus directory and builds the index in memory: for tests, benchmarks and fuzzing.
    pub fn from_corpus_dir(dir: &Path, prices: Arc<PriceTable>) -> Result<Self, crate::Error> {
        let corpus = corpus::load(dir)?;
        let index = SearchIndex::in_ram(&corpus.passages)?;
        let revision = Revision { corpus: corpus.revision().to_owned(), generation: "in-ram".into() };
        Ok(Engine::new(index, corpus, prices, revision))
    }

    /// Replaces the fitted decisions (a model read from a file, or one being fitted).
    pub fn with_decisions(mut self, decisions: Decisions) -> Self {
        self.decisions = decisions;
        self
    }
}

/// Each article's vendors, by id: those of the products its evidence rows give values for (a table
/// that declares no vendor is one of its own, id ""), sorted.
fn doc_vendors(corpus: &Corpus, doc_index: impl Fn(&str) -> usize) -> Vec<Vec<String>> {
    let table = &corpus.table;
    let mut out: Vec<Vec<String>> = vec![Vec::new(); corpus.docs.len()];
    for e in table.features.iter().flat_map(|f| &f.evidence) {
        let Some(vendors) = out.get_mut(doc_index(&e.doc)) else { continue };
        for p in e.products.iter().filter_map(|p| table.product(p)) {
            if !vendors.contains(&p.vendor) {
                vendors.push(p.vendor.clone());
            }
        }
    }
    for vendors in &mut out {
        vendors.sort_unstable();
    }
    out
}

/// The title words that may mark an article's subject: with several vendors, not a word of
/// another vendor's product names ("apps" in "Claude Apps vs. the Anthropic API" is also
/// ChatGPT's "the app", so "my app" names neither vendor's article). `doc_vendors` are each
/// article's ([`doc_vendors`]).
fn vendor_titles(
    corpus: &Corpus,
    titles: &[Vec<String>],
    doc_vendors: &[Vec<String>],
    analyzer: &mut WordAnalyzer,
) -> Vec<Vec<String>> {
    let table = &corpus.table;
    let mut vendors: Vec<&str> = table.products.iter().map(|p| p.vendor.as_str()).collect();
    vendors.sort_unstable();
    vendors.dedup();
    if vendors.len() < 2 {
        return titles.to_vec();
    }
    // Each vendor's product-name stems.
    let stems: Vec<(&str, Vec<String>)> = table
        .products
        .iter()
        .map(|p| (p.vendor.as_str(), p.words.iter().flat_map(|w| analyzer.words(w)).map(|w| w.stem).collect()))
        .collect();
    titles
        .iter()
        .zip(doc_vendors)
        .map(|(title, own)| {
            title
                .iter()
                .filter(|t| !stems.iter().any(|(v, s)| !own.iter().any(|o| o == v) && s.contains(t)))
                .cloned()
                .collect()
        })
        .collect()
}

/// Each distinct term's scores over every passage, at `boost` (none, with a warning, if the index
/// cannot be read: retrieval then goes without that expansion).
pub(super) fn term_scores<'a>(
    index: &SearchIndex,
    terms: impl IntoIterator<Item = &'a String>,
    boost: f32,
) -> FxHashMap<String, ScoreList> {
    index.term_scores(terms.into_iter().map(String::as_str), boost).unwrap_or_else(|e| {
        tracing::warn!("expansion scores: {e}");
        FxHashMap::default()
    })
}

/// The words whose stems the engine works out once ([`WordAnalyzer`]): the corpus's own, which are
/// most of the words questions use (the features' names and aliases join them as they are analyzed:
/// [`FeatureWords::all`]). A question word outside them is stemmed as it comes.
pub(super) fn vocabulary(corpus: &Corpus) -> impl Iterator<Item = &str> {
    let table = &corpus.table;
    let features = table.features.iter().flat_map(|f| std::iter::once(&f.note).chain(&f.examples).map(String::as_str));
    let passages = corpus.passages.iter().flat_map(|p| [p.heading.as_str(), p.text.as_str()]);
    let lexicon = corpus.lexicon.expansions();
    // The corpus's prose first: with a table of more distinct words than are kept, the words
    // questions use most are still known.
    passages.chain(lexicon).chain(features)
}

/// A feature's name and aliases as words ([`WordAnalyzer::words`]) and as index terms.
pub(super) struct FeatureWords {
    pub name: Vec<text::Word>,
    pub aliases: Vec<Vec<text::Word>>,
    /// The name's index terms, then each alias's.
    pub terms: (Vec<String>, Vec<Vec<String>>),
}

impl FeatureWords {
    /// Every feature's, in order, and the stems of their words `words` did not know; split over two
    /// threads for a large table.
    fn all(
        features: &[Feature],
        words: &WordAnalyzer,
        index: &TextAnalyzer,
    ) -> (Vec<FeatureWords>, FxHashMap<String, String>) {
        let analyze = |part: &[Feature]| -> (Vec<FeatureWords>, FxHashMap<String, String>) {
            let (mut a, mut ia) = (words.clone(), index.clone());
            let mut learned = FxHashMap::default();
            let named = part
                .iter()
                .map(|f| {
                    let name = a.words_learning(&f.name, Some(&mut learned));
                    let aliases: Vec<Vec<text::Word>> =
                        f.aliases.iter().map(|x| a.words_learning(x, Some(&mut learned))).collect();
                    let terms = (
                        text::index_terms(&f.name, &name, &mut ia),
                        f.aliases.iter().zip(&aliases).map(|(x, w)| text::index_terms(x, w, &mut ia)).collect(),
                    );
                    FeatureWords { name, aliases, terms }
                })
                .collect();
            (named, learned)
        };
        if features.len() < 2_000 {
            return analyze(features);
        }
        let (first, second) = features.split_at(features.len() / 2);
        std::thread::scope(|s| {
            let later = s.spawn(|| analyze(second));
            let (mut out, mut learned) = analyze(first);
            let (rest, more) = later.join().expect("analyzing feature names does not panic");
            out.extend(rest);
            learned.extend(more);
            (out, learned)
        })
    }
}

/// The table's uncovered topics, each with the articles that have come to cover it (by index
/// into `corpus.docs`): a feature's name or alias uses their words (its articles), a passage's
/// heading does or its text has them in a row (each word or one of its `[synonyms]` group) or next
/// to each other in another order (when the topic is no name: see below), or (by stem, in any
/// order) a heading has all their informative words (the passage's article). A topic every article covers is left out; the others
/// count for a question only where it may be answered from none of their covering articles (a
/// question about one vendor's products is not answered from another vendor's article).
pub(super) fn uncovered_topics(
    corpus: &Corpus,
    named: &[FeatureWords],
    bodies: &[Vec<String>],
    passage_doc: &[usize],
    feature_docs: &[Vec<usize>],
    analyzer: &mut WordAnalyzer,
) -> Vec<(String, Vec<bool>)> {
    let table = &corpus.table;
    if table.topics.is_empty() {
        return Vec::new();
    }
    let headings: Vec<Vec<text::Word>> = corpus.passages.iter().map(|p| analyzer.words(&p.heading)).collect();
    let texts: Vec<&[text::Word]> = named
        .iter()
        .flat_map(|n| std::iter::once(n.name.as_slice()).chain(n.aliases.iter().map(Vec::as_slice)))
        .chain(headings.iter().map(Vec::as_slice))
        .collect();
    // Each text's articles: a feature's name and aliases are its articles', a heading its passage's.
    let text_docs: Vec<&[usize]> = named
        .iter()
        .zip(feature_docs)
        .flat_map(|(n, docs)| std::iter::repeat_n(docs.as_slice(), 1 + n.aliases.len()))
        .chain(passage_doc.iter().map(std::slice::from_ref))
        .collect();
    let topic_words: Vec<Vec<text::Word>> = table.topics.iter().map(|t| analyzer.words(t)).collect();
    // Each topic's first word (as written and stemmed) -> the texts that have it: a topic is looked
    // for only in those (a table of many features stays linear to check).
    let mut having: FxHashMap<&str, Vec<usize>> = topic_words
        .iter()
        .filter_map(|w| w.first())
        .flat_map(|w| [(w.text.as_str(), Vec::new()), (w.stem.as_str(), Vec::new())])
        .collect();
    for (i, words) in texts.iter().enumerate() {
        for w in words.iter() {
            for key in [w.text.as_str(), w.stem.as_str()] {
                if let Some(list) = having.get_mut(key)
                    && list.last() != Some(&i)
                {
                    list.push(i);
                }
            }
        }
    }
    // By stem, in any order: a heading with every informative word of the topic ("used for
    // training" and a section "Data Use and Training"). A passage's text in another order only as
    // below: "API responses" in a passage says nothing of a "responses api".
    let headings: Vec<Vec<&str>> =
        headings.iter().map(|words| words.iter().map(|w| w.stem.as_str()).collect()).collect();
    let by_stems = |stems: &[String], h: &[&str]| {
        let informative: Vec<&String> = stems.iter().filter(|s| !text::is_index_stopword(s)).collect();
        !informative.is_empty() && informative.iter().all(|s| h.contains(&s.as_str()))
    };
    // A passage's text covers a topic with its words in a row, each word or a word of its synonym
    // group ("per seat" and "$30 per user"), or with its own words next to each other in another
    // order ("annual billing" and "billed annually") when the topic has several words and none is
    // small or a product's: a name's order is its meaning ("responses api", and "API responses" in
    // a passage), and so is a phrase's with a small word ("per seat", and "users per day").
    let synonyms = stem_synonyms(&table.synonyms, analyzer);
    // The one-word product names ("api", "sdk"; "claude max" makes no product word of "max").
    let product_stems: FxHashSet<String> = table
        .products
        .iter()
        .flat_map(|p| &p.words)
        .map(|w| analyzer.words(w))
        .filter(|words| words.len() == 1)
        .flatten()
        .map(|w| w.stem)
        .collect();
    let mut out = Vec::new();
    for (topic, words) in table.topics.iter().zip(topic_words.iter()) {
        let stems: Vec<String> = words.iter().map(|w| w.stem.clone()).collect();
        let alternatives: Vec<Vec<&str>> = stems
            .iter()
            .map(|s| {
                std::iter::once(s.as_str()).chain(synonyms.get(s).into_iter().flatten().map(String::as_str)).collect()
            })
            .collect();
        let any_order =
            stems.len() > 1 && !words.iter().any(|w| product_stems.contains(&w.stem) || text::is_filler(&w.text));
        let mut candidates: Vec<usize> = words
            .first()
            .into_iter()
            .flat_map(|w| [w.text.as_str(), w.stem.as_str()])
            .flat_map(|k| having.get(k).into_iter().flatten().copied())
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        let mut covered = vec![false; corpus.docs.len()];
        fn cover(covered: &mut [bool], docs: &[usize]) {
            for &d in docs {
                if let Some(c) = covered.get_mut(d) {
                    *c = true;
                }
            }
        }
        // A feature none of whose articles is known (an unchecked table) covers it for all.
        let every: Vec<usize> = (0..covered.len()).collect();
        let mut anywhere = false;
        for &i in &candidates {
            let docs = if text_docs[i].iter().any(|&d| d < covered.len()) { text_docs[i] } else { &every };
            let new = !anywhere || docs.iter().any(|&d| !covered[d]);
            if new && understand::covered(words, std::iter::once(texts[i])) {
                cover(&mut covered, docs);
                anywhere = true;
            }
        }
        for (pid, (body, heading)) in bodies.iter().zip(&headings).enumerate() {
            if in_a_row(body, &alternatives) || (any_order && in_any_order(body, &stems)) || by_stems(&stems, heading) {
                cover(&mut covered, std::slice::from_ref(&passage_doc[pid]));
                anywhere = true;
            }
        }
        if covered.iter().any(|c| !c) || !anywhere {
            out.push((topic.clone(), covered));
        }
    }
    out
}

/// Whether a passage body's stems have a word of each of `alternatives` in a row, in their order
/// (never, for none).
fn in_a_row(body: &[String], alternatives: &[Vec<&str>]) -> bool {
    !alternatives.is_empty()
        && body
            .windows(alternatives.len())
            .any(|window| window.iter().zip(alternatives).all(|(w, alts)| alts.contains(&w.as_str())))
}

/// Whether a passage body's stems have `stems` next to each other in some order, each once (the
/// topic's own words: a synonym in another order would let "cost sharing" cover "share price").
fn in_any_order(body: &[String], stems: &[String]) -> bool {
    let mut sorted: Vec<&str> = stems.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    let mut window_sorted: Vec<&str> = Vec::with_capacity(stems.len());
    !stems.is_empty()
        && body.windows(stems.len()).any(|window| {
            // Cheap first: every word of the window is one of the topic's.
            if !window.iter().all(|w| sorted.binary_search(&w.as_str()).is_ok()) {
                return false;
            }
            window_sorted.clear();
            window_sorted.extend(window.iter().map(String::as_str));
            window_sorted.sort_unstable();
            window_sorted == sorted
        })
}

/// Each stem of a `[synonyms]` group's one-word entries, with the other stems of its groups.
fn stem_synonyms(groups: &[Vec<String>], analyzer: &mut WordAnalyzer) -> FxHashMap<String, Vec<String>> {
    let mut map: FxHashMap<String, Vec<String>> = FxHashMap::default();
    for group in groups {
        let stems: Vec<String> = group
            .iter()
            .map(|w| analyzer.words(w))
            .filter(|words| words.len() == 1)
            .flatten()
            .map(|w| w.stem)
            .collect();
        for s in &stems {
            map.entry(s.clone()).or_default().extend(stems.iter().filter(|o| *o != s).cloned());
        }
    }
    for v in map.values_mut() {
        v.sort();
        v.dedup();
    }
    map
}

/// The `[scope] others` entries some passage names (their words in a row, by stem), each with
/// the articles whose passages do.
fn mentioned_others(
    corpus: &Corpus,
    bodies: &[Vec<String>],
    passage_doc: &[usize],
    analyzer: &mut WordAnalyzer,
) -> Vec<(String, Vec<bool>)> {
    let mut out = Vec::new();
    for other in &corpus.table.others {
        let stems: Vec<String> = analyzer.words(other).into_iter().map(|w| w.stem).collect();
        let alternatives: Vec<Vec<&str>> = stems.iter().map(|s| vec![s.as_str()]).collect();
        let mut docs = vec![false; corpus.docs.len()];
        for (body, &d) in bodies.iter().zip(passage_doc) {
            if in_a_row(body, &alternatives)
                && let Some(c) = docs.get_mut(d)
            {
                *c = true;
            }
        }
        if docs.iter().any(|c| *c) {
            out.push((other.clone(), docs));
        }
    }
    out
}

pub(super) fn synonym_map(groups: &[Vec<String>], analyzer: &mut TextAnalyzer) -> FxHashMap<String, Vec<String>> {
    let mut map: FxHashMap<String, Vec<String>> = FxHashMap::default();
    for group in groups {
        let terms: Vec<Vec<String>> = group.iter().map(|w| text::terms(analyzer, w)).collect();
        let all: Vec<String> = {
            let mut a: Vec<String> = terms.iter().flatten().cloned().collect();
            a.sort();
            a.dedup();
            a
        };
        for t in terms.iter().filter(|t| t.len() == 1).map(|t| &t[0]) {
            let entry = map.entry(t.clone()).or_default();
            entry.extend(all.iter().filter(|o| *o != t).cloned());
            entry.sort();
            entry.dedup();
        }
    }
    map
}

/// The passage one article's entry rests on: its item, else the first passage of its section.
pub(super) fn evidence_passage(e: &corpus::Evidence, passages: &[Passage]) -> Option<usize> {
    match e.item_heading() {
        Some(full) => passages.iter().position(|p| p.doc == e.doc && p.heading.eq_ignore_ascii_case(&full)),
        None => passages.iter().position(|p| p.doc == e.doc && p.section.eq_ignore_ascii_case(&e.section)),
    }
}

/// The passage a feature's verdict rests on: its item ("Features Only in ChatGPT › Memory") when the
/// table names one, else the first passage of its section, in the feature's document.
pub(super) fn supporting_passage(f: &Feature, passages: &[Passage]) -> Option<usize> {
    match f.item_heading() {
        Some(full) => passages.iter().position(|p| p.doc == f.doc && p.heading.eq_ignore_ascii_case(&full)),
        None => passages.iter().position(|p| p.doc == f.doc && p.section.eq_ignore_ascii_case(&f.section)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn a_topic_is_in_a_row_by_a_synonym_or_next_to_each_other_in_another_order() {
        let annual = [vec!["annual"], vec!["bill"]];
        let annual_stems = ["annual".to_owned(), "bill".to_owned()];
        assert!(!in_a_row(&body("pro is 17 a month bill annual"), &annual));
        assert!(in_any_order(&body("pro is 17 a month bill annual"), &annual_stems));
        assert!(in_a_row(&body("with annual bill"), &annual));
        assert!(!in_any_order(&body("annual plans bill"), &annual_stems));
        // "per seat", a synonym group {seat, user}: "per user" covers it, "user per" does not.
        let per_seat = [vec!["per"], vec!["seat", "user"]];
        assert!(in_a_row(&body("team at 30 per user per month"), &per_seat));
        assert!(!in_a_row(&body("million user per day"), &per_seat));
        // Each word of the window is a distinct word of the topic.
        let two = ["respons".to_owned(), "api".to_owned()];
        assert!(!in_any_order(&body("api api"), &two));
        assert!(in_any_order(&body("the api respons"), &two));
        assert!(!in_a_row(&body("anything"), &[]));
        assert!(!in_any_order(&body("anything"), &[]));
    }

    #[test]
    fn synonyms_by_stem_from_one_word_entries_only() {
        let mut analyzer = WordAnalyzer::with_vocabulary(["seat user"], 10);
        let group = vec!["seat".to_owned(), "seats".to_owned(), "user".to_owned(), "per user".to_owned()];
        let map = stem_synonyms(&[group], &mut analyzer);
        assert_eq!(map.get("seat").map(Vec::as_slice), Some(&["user".to_owned()][..]));
        assert_eq!(map.get("user").map(Vec::as_slice), Some(&["seat".to_owned()][..]));
        assert!(!map.contains_key("per"));
    }
}
