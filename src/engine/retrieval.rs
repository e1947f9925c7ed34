//! Retrieval and citing: the question's terms against the index (widened by a feature's aliases
//! and by synonyms), a proximity bonus, and which passages an answer cites.

use super::*;

impl Engine {
    /// Retrieval: the question's terms, widened by the feature's aliases and by synonyms as
    /// precomputed scores (each term once, and not a term the question itself has), then a
    /// proximity bonus over the candidates, and the articles the question passes over (`named`)
    /// weighed down.
    pub(super) fn retrieve(
        &self,
        q: &Question,
        named: &Named,
        feature: Option<usize>,
        stats: &Stats,
        analyzer: &mut TextAnalyzer,
    ) -> Vec<Hit> {
        let mut seen: Vec<&str> = q.terms.iter().map(String::as_str).collect();
        let mut extra: Vec<&ScoreList> = Vec::new();
        let aliases = feature.into_iter().flat_map(|i| &self.features[i].expansion).map(|t| (t, &self.alias_scores));
        let synonyms =
            q.terms.iter().flat_map(|t| self.synonyms.get(t).into_iter().flatten()).map(|t| (t, &self.synonym_scores));
        for (t, scores) in aliases.chain(synonyms) {
            if !seen.contains(&t.as_str()) {
                seen.push(t);
                extra.extend(scores.get(t));
            }
        }
        let retrieval = self.index.query(stats, &q.terms, &extra);
        let mut hits = self.index.search(stats, &retrieval, CANDIDATES).unwrap_or_default();
        let proximity = self.index.proximity(stats, &q.terms);
        if !proximity.is_empty() || named.prefers() {
            for hit in &mut hits {
                if !proximity.is_empty() {
                    hit.score += proximity.bonus(self.tokens(hit.pid, analyzer));
                }
                hit.score *= named.weight(self.passage_doc[hit.pid]);
            }
            // An article left out gives nothing; stable: equal scores keep tantivy's order.
            hits.retain(|h| named.weight(self.passage_doc[h.pid]) > 0.0);
            hits.sort_by(|a, b| b.score.total_cmp(&a.score));
        }
        hits
    }

    /// The passages to cite: each verdict feature's supporting passage first (its passage, or
    /// else its section's best hit), then the best other hits above a share of the top score.
    pub(super) fn cite(&self, features: &[usize], hits: &[Hit], u: &Understanding) -> Vec<Hit> {
        let hits = &*self.of_articles_of(features, hits);
        let mut cited: Vec<Hit> = Vec::new();
        for &fi in features {
            let f = &self.corpus.table.features[fi];
            let mut own = self.own_passages(fi, u);
            if own.is_empty() {
                own.extend(
                    hits.iter()
                        .find(|h| {
                            let p = &self.corpus.passages[h.pid];
                            p.doc == f.doc && p.section.eq_ignore_ascii_case(&f.section)
                        })
                        .map(|h| h.pid),
                );
            }
            for pid in own {
                if cited.len() < MAX_SOURCES && !cited.iter().any(|c| c.pid == pid) {
                    let score = hits.iter().find(|h| h.pid == pid).map_or(0.0, |h| h.score);
                    cited.push(Hit { pid, score });
                }
            }
        }
        let top = hits.first().map_or(0.0, |h| h.score);
        for h in hits {
            if cited.len() >= MAX_SOURCES {
                break;
            }
            if h.score < top * MIN_RELATIVE_SCORE || cited.iter().any(|c| c.pid == h.pid) {
                continue;
            }
            cited.push(*h);
        }
        cited
    }

    /// Of `hits`, those from the articles whose tables give `features` their values (all of them when
    /// none is, or no feature is given): the verdicts shown are those tables', and another article's
    /// passage supports none of them (logprobs, the OpenAI table's alone, is not cited from the
    /// Claude article because "the API" named both vendors' APIs).
    fn of_articles_of<'h>(&self, features: &[usize], hits: &'h [Hit]) -> std::borrow::Cow<'h, [Hit]> {
        let docs: Vec<usize> = features.iter().flat_map(|&fi| self.feature_docs[fi].iter().copied()).collect();
        if docs.is_empty() || hits.iter().all(|h| docs.contains(&self.passage_doc[h.pid])) {
            return std::borrow::Cow::Borrowed(hits);
        }
        let theirs: Vec<Hit> = hits.iter().filter(|h| docs.contains(&self.passage_doc[h.pid])).copied().collect();
        if theirs.is_empty() { std::borrow::Cow::Borrowed(hits) } else { std::borrow::Cow::Owned(theirs) }
    }

    /// For an unsure reading: the closest passages in retrieval order, with the first feature's own
    /// passage among them.
    pub(super) fn cite_closest(&self, features: &[usize], hits: &[Hit], u: &Understanding) -> Vec<Hit> {
        let theirs = self.of_articles_of(features, hits);
        let mut cited = self.cite(&[], &theirs, u);
        let own = self.cite(&features[..1], hits, u);
        if let Some(first) = own.first()
            && !cited.iter().any(|c| c.pid == first.pid)
        {
            cited.truncate(MAX_SOURCES - 1);
            cited.push(*first);
        }
        cited
    }

    /// The passages feature `fi`'s verdict rests on for this question: the evidence of the product
    /// asked about, or of each product compared (every product when none is named), each article's
    /// once, the primary first when nothing is named. One article's table: its one passage.
    pub(super) fn own_passages(&self, fi: usize, u: &Understanding) -> Vec<usize> {
        let mut out: Vec<usize> = Vec::new();
        for pid in self.evidence_order(fi, u).into_iter().filter_map(|e| self.evidence_passage(fi, e)) {
            if !out.contains(&pid) {
                out.push(pid);
            }
        }
        if out.is_empty() {
            out.extend(self.features[fi].passage);
        }
        out
    }

    /// The passage of feature `fi`'s evidence `e` (an index into its `evidence`), if found.
    fn evidence_passage(&self, fi: usize, e: usize) -> Option<usize> {
        self.features[fi].evidence.get(e).copied().flatten()
    }

    /// The passage that gives product `id`'s value of feature `fi`: that of the article whose table
    /// says it, if any.
    pub(super) fn product_passage(&self, fi: usize, id: &str) -> Option<usize> {
        self.corpus.table.features[fi].evidence_for(id).and_then(|e| self.evidence_passage(fi, e))
    }

    /// Which of feature `fi`'s evidence a question reads (indexes into its `evidence`): that of the
    /// product asked about, or of each product compared (every product when none is named).
    pub(super) fn evidence_order(&self, fi: usize, u: &Understanding) -> Vec<usize> {
        let f = &self.corpus.table.features[fi];
        let compared: Vec<usize> = match u.asked() {
            Some(p) => vec![p],
            None if u.products.len() >= 2 => u.products.clone(),
            None => (0..self.corpus.table.products.len()).collect(),
        };
        let mut order: Vec<usize> = Vec::new();
        for p in compared {
            let Some(product) = self.corpus.table.products.get(p) else { continue };
            if let Some(e) = f.evidence_for(&product.id)
                && !order.contains(&e)
            {
                order.push(e);
            }
        }
        order
    }

    /// A word several vendors' products share, which the question's own words leave open, names the
    /// product of the article the question is about: the products the feature asked about is
    /// covered for ("the API" with Canvas, which only one article's table has, is that article's).
    pub(super) fn settle_by_feature(&self, u: &mut Understanding, features: &[usize]) {
        let Some((_, group)) = &u.ambiguous else { return };
        let Some(f) = features.first().and_then(|&fi| self.corpus.table.features.get(fi)) else { return };
        let keep: Vec<usize> = group
            .iter()
            .copied()
            .filter(|&p| f.availability.get(p).is_some_and(|a| *a != corpus::Availability::NotCovered))
            .collect();
        if keep.is_empty() || keep.len() == group.len() {
            return;
        }
        let drop: Vec<usize> = group.iter().copied().filter(|p| !keep.contains(p)).collect();
        let kept: Vec<(usize, Option<usize>)> =
            u.products.iter().copied().zip(u.product_at.iter().copied()).filter(|(p, _)| !drop.contains(p)).collect();
        (u.products, u.product_at) = kept.into_iter().unzip();
        u.ambiguous = None;
        u.named = u.products.len();
    }

    /// A passage's analyzed tokens, made on first use.
    pub(super) fn tokens(&self, pid: usize, analyzer: &mut TextAnalyzer) -> &Tokens {
        self.passage_tokens[pid].get_or_init(|| self.index.tokens(analyzer, &self.corpus.passages[pid].text))
    }

    /// The matcher's reading of a piece of the articles' own text (each of its words is the corpus's,
    /// so none is unknown), with its words.
    pub(super) fn understand_article_text(&self, text: &str) -> (Vec<crate::text::Word>, Understanding) {
        let words = self.word_analyzer.clone().words(text);
        let u = self.matcher.understand(&words, &|_| true);
        (words, u)
    }

    /// The features a passage names by one of their aliases, word for word (no typo tolerance, no
    /// words skipped inside an alias), in table order.
    pub(super) fn features_named(&self, pid: usize) -> &[usize] {
        self.passage_features[pid].get_or_init(|| {
            let (_, u) = self.understand_article_text(&self.corpus.passages[pid].text);
            let mut named: Vec<usize> =
                u.hits.iter().filter(|h| h.skipped == 0 && h.typo_at.is_empty()).map(|h| h.feature).collect();
            named.sort_unstable();
            named.dedup();
            named
        })
    }
}
