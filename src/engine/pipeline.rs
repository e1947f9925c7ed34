//! Question -> answer: read the question once ([`Analysis`]), decide with the fitted model whether
//! the corpus covers it and what kind of question it is, then answer that kind: a verdict from the
//! feature table (availability), the passages that answer it (informational), or the table's rows
//! that fit (list).

use tantivy::tokenizer::TextAnalyzer;

use super::analysis::Analysis;
use super::intent::Found;
use super::listing;
use super::model::{Logistic, Model};
use super::signals;
use super::tuning::TUNING;
use super::*;
use crate::answer::{Caveat, Decision, Lead, QuestionType, Suggestion};

/// A fitted model with each of its decisions' inputs looked up among the signals once.
#[derive(Debug, Clone)]
pub struct Decisions {
    pub model: Model,
    scope: Vec<usize>,
    kind: Vec<usize>,
    rank: Vec<usize>,
    confidence: Vec<usize>,
}

impl Decisions {
    /// Fails when the model reads a signal the engine does not compute.
    pub fn new(model: Model) -> Result<Self, String> {
        let find = |lr: &Logistic, names: &[&str]| -> Result<Vec<usize>, String> {
            lr.inputs
                .iter()
                .map(|i| names.iter().position(|n| n == i).ok_or_else(|| format!("unknown signal `{i}`")))
                .collect()
        };
        Ok(Decisions {
            scope: find(&model.scope, signals::QUESTION)?,
            kind: find(&model.kind, signals::QUESTION)?,
            rank: find(&model.rank, signals::PASSAGE)?,
            confidence: find(&model.confidence, &signals::confidence_names())?,
            model,
        })
    }

    pub fn shipped() -> Self {
        Decisions::new(Model::shipped()).expect("the compiled-in model reads known signals (tested)")
    }
}

fn pick(values: &[f64], at: &[usize]) -> Vec<f64> {
    at.iter().map(|&i| values[i]).collect()
}

impl Engine {
    /// Answers one question. Never fails: nothing found is an answer too.
    pub fn answer(&self, asked: &str) -> Answer {
        self.answer_using(asked, &self.decisions)
    }

    /// Answers with the given decisions (the engine's own, or a model being fitted).
    pub fn answer_using(&self, asked: &str, decisions: &Decisions) -> Answer {
        // One index analyzer for the whole answer: cloning one copies its stopword set.
        let analyzer = &mut self.index_analyzer.clone();
        let searcher = self.index.searcher();
        let stats = Stats::new(&searcher);
        let a = self.analyze(asked, &stats, analyzer);
        if a.q.words.is_empty() {
            return self.decline(&a.q, Declined::Empty, Evidence::default(), Confidence::High);
        }
        let mut x = signals::question(&a);
        let tokens = signals::words(&a);
        signals::fill_words(&decisions.model.words, &tokens, &mut x);
        // A decline of the scope rules is as sure as the confidence model makes it, read as the fit
        // reads it (a certain decline): a listed topic named in other words than the articles'
        // ("per seat" beside "per user") is not declined with high confidence.
        let rule_sure = || self.confidence_of(right(&Decision::rule_decline(), &x, decisions), decisions);
        // Another vendor's product in the sentence that asks (or with nothing of ours named) is
        // what the question is about; one in the backstory is only mentioned.
        if let Some((vendor, at)) = &a.u.other
            && (a.q.focus[*at] || (a.u.products.is_empty() && a.u.hits.is_empty()))
        {
            return self.decline(&a.q, Declined::OtherVendor(vendor.clone()), a.evidence, rule_sure());
        }
        // So is a topic the table lists as uncovered, unless the question names a feature more
        // specifically.
        if let Some((topic, at)) = &a.u.topic
            && at.iter().any(|p| a.q.focus[*p])
            && a.u.hits.iter().filter(|h| h.skipped == 0).all(|h| h.positions.len() < at.len())
        {
            return self.decline(&a.q, Declined::Topic(topic.clone()), a.evidence, rule_sure());
        }
        let decision = self.decide(&a, &x, decisions);
        let mut evidence = a.evidence.clone();
        evidence.decision = Some(decision.clone());
        if scope::explain() {
            evidence.signals = signals::QUESTION.iter().zip(&x).map(|(n, v)| ((*n).to_owned(), *v)).collect();
            let words = &decisions.model.words;
            evidence.words = tokens
                .iter()
                .map(|t| {
                    let mut says = words.scope.tokens.get(t).cloned().unwrap_or_default();
                    says.extend(words.kind.tokens.get(t).cloned().unwrap_or_default());
                    (t.clone(), says)
                })
                .collect();
        }
        let sure = self.confidence_of(decision.right, decisions);
        if decision.kind == QuestionType::NotCovered {
            let why = if a.unknown.is_empty() { Declined::NotCovered } else { Declined::Unknown(a.unknown.clone()) };
            let mut declined = self.decline(&a.q, why, evidence, sure);
            // A price the articles do not give, of a model the price tables have: `/cost` knows it.
            if self.prices.mentioned_model(&a.q.text).is_some() {
                declined.suggestion = self.cost_suggestion(&a.q, &a.u, None);
            }
            return declined;
        }
        match decision.kind {
            QuestionType::Availability if !a.intent.features.is_empty() => {
                self.availability(&a, sure, evidence, &stats, analyzer)
            }
            QuestionType::List => match listing::list(self, &a) {
                // The table's features are what the question lists when it contrasts the products
                // ("what can ChatGPT do that the API can't?"), when the passage model ranks first a
                // passage of a section that holds a feature, or when there is no passage to rank.
                // A list of something else ("compare the rate limits", "the criteria for
                // choosing", "which came to the API first") is answered from the passages, like
                // any informational question.
                Some(list) if list.contrast => self.listed(&a, list, sure, evidence, &stats, analyzer),
                Some(list) => {
                    let ranked = self.ranked_candidates(&a, &x, decisions);
                    if ranked.first().is_none_or(|top| self.feature_section[top.0]) {
                        self.listed(&a, list, sure, evidence, &stats, analyzer)
                    } else {
                        self.cite_ranked(&a, ranked, sure, evidence, &stats, analyzer)
                    }
                }
                None => self.informational(&a, &x, decisions, sure, evidence, &stats, analyzer),
            },
            _ => self.informational(&a, &x, decisions, sure, evidence, &stats, analyzer),
        }
    }

    /// How sure an answer is whose probability of being right is `right`.
    fn confidence_of(&self, right: f64, decisions: &Decisions) -> Confidence {
        if right >= decisions.model.high_confidence {
            Confidence::High
        } else if right >= TUNING.low_confidence {
            Confidence::Medium
        } else {
            Confidence::Low
        }
    }

    /// What the model makes of a question: covered or not, what kind, and how sure.
    pub(super) fn decide(&self, a: &Analysis, x: &[f64], d: &Decisions) -> Decision {
        let covered = d.model.scope.probability(&pick(x, &d.scope), "covered");
        let mut decision = self.decide_kind(a, x, covered, d);
        decision.right = right(&decision, x, d);
        decision
    }

    /// The kind of question: what the hand-written rules read it as, unless the fitted model is
    /// surer of another reading by at least the model's fitted margin.
    pub(super) fn decide_kind(&self, a: &Analysis, x: &[f64], covered: f64, d: &Decisions) -> Decision {
        let p = d.model.kind.predict(&pick(x, &d.kind));
        let class = |t: QuestionType| d.model.kind.classes.iter().position(|c| c == t.as_str());
        let probability = |t: QuestionType| match t {
            QuestionType::NotCovered => 1.0 - covered,
            t => covered * class(t).map_or(0.0, |i| p[i]),
        };
        let candidates =
            [QuestionType::NotCovered, QuestionType::Availability, QuestionType::Informational, QuestionType::List];
        let best = candidates
            .into_iter()
            .fold(QuestionType::NotCovered, |b, t| if probability(t) > probability(b) { t } else { b });
        let rules = signals::rules_reading(a);
        // The rules never read a list; a list is their informational reading made specific.
        let rules_p = match rules {
            QuestionType::Informational => {
                probability(QuestionType::Informational).max(probability(QuestionType::List))
            }
            t => probability(t),
        };
        let same = best == rules || (rules == QuestionType::Informational && best == QuestionType::List);
        let margin = if best == QuestionType::NotCovered || rules == QuestionType::NotCovered {
            d.model.decline_margin
        } else {
            d.model.override_margin
        };
        let kind = if !same && probability(best) - rules_p < margin { rules } else { best };
        Decision { kind, covered, probability: probability(kind), right: 0.0, rules }
    }

    /// A yes/no question about a feature: the verdict, its passage first.
    pub(super) fn availability(
        &self,
        a: &Analysis,
        sure: Confidence,
        evidence: Evidence,
        stats: &Stats,
        analyzer: &mut TextAnalyzer,
    ) -> Answer {
        let intent = &a.intent;
        let own = intent.features.first().and_then(|&f| self.own_passages(f, &a.u).first().copied());
        // A feature named only in the backstory, when the sentences that ask name none of the
        // verdict's features and the passage closest to the whole question is not the feature's
        // ("... no chat window. Was this whole thing a mistake?"), is not what is asked: an unsure
        // reading, answered with the passages closest to the question.
        let backstory = matches!(intent.by, Found::Alias | Found::SkippedAlias)
            && !a.asks_about
            && a.closest.first().is_some_and(|h| Some(h.pid) != own);
        let reading_sure = intent.sure && !backstory;
        // An unsure reading from the cards, from a contested one-word alias or from the backstory
        // does not steer retrieval: the passages closest to the question itself are shown.
        let steer = if (intent.by != Found::SkippedAlias || backstory) && !reading_sure {
            None
        } else {
            intent.features.first().copied()
        };
        let hits = match steer {
            Some(_) if !backstory => self.retrieve(&a.q, &a.named, steer, stats, analyzer),
            _ => a.closest.clone(),
        };
        // A question that lists several features is about choosing among them: the closest
        // passages lead, and the features' own come after.
        let listing = a.u.hits.iter().filter(|h| h.skipped == 0).count() >= intent::MAX_VERDICTS;
        let cited = if steer.is_none() || listing {
            self.cite_closest(&intent.features, &hits, &a.u)
        } else {
            self.cite(&intent.features, &hits, &a.u)
        };
        if cited.is_empty() {
            return self.decline(&a.q, Declined::NotCovered, evidence, Confidence::Low);
        }
        // A model or product the corpus never names: what it says of the feature may not hold.
        let confidence = if reading_sure && a.unknown.is_empty() { sure } else { Confidence::Low };
        let mut answer = self.assemble(a, &intent.features, &cited, stats, confidence, evidence, analyzer);
        // The one feature asked of a product no article covers it for: outside what the bot
        // covers, said as such (the table still shows it as not covered).
        if let [v] = answer.verdicts.as_slice()
            && v.asked_value() == Some(crate::corpus::Availability::NotCovered)
            && let Some(product) = v.asked.clone()
        {
            let why = Declined::NotCoveredFor { feature: v.feature.clone(), product };
            return self.decline(&a.q, why, answer.evidence, confidence);
        }
        // A part of the feature that the passage withholds from a product the question names: that
        // product has it only in part.
        if let [v] = answer.verdicts.as_mut_slice()
            && let Some(&fi) = intent.features.first()
        {
            for &p in &a.u.products {
                let id = &self.corpus.table.products[p].id;
                let yes = v.availability.iter().any(|x| &x.id == id && x.value == crate::corpus::Availability::Yes);
                if yes && let Some(sentence) = self.withheld_detail(a, fi, p, analyzer) {
                    phrasing::withheld(v, id, &sentence);
                    at_most_medium(&mut answer.confidence);
                }
            }
        }
        // A plan of the product asked about ("I'm on the free Claude plan. Do I get extended
        // thinking?"): the table goes by product, so the verdict says so and is no surer than medium.
        if let Some(asked) = a.u.asked()
            && answer.verdicts.len() == 1
            && let Some(plan) = listing::plan_named(self, a, &[asked], false, true)
        {
            let product = self.corpus.table.products[asked].name.clone();
            answer.caveats.push(Caveat::Plan { product, plan });
            at_most_medium(&mut answer.confidence);
        }
        answer.asked_as = QuestionType::Availability;
        answer
    }

    /// A question the passages answer: the candidates ranked by the fitted passage model.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn informational(
        &self,
        a: &Analysis,
        x: &[f64],
        d: &Decisions,
        sure: Confidence,
        evidence: Evidence,
        stats: &Stats,
        analyzer: &mut TextAnalyzer,
    ) -> Answer {
        let ranked = self.ranked_candidates(a, x, d);
        self.cite_ranked(a, ranked, sure, evidence, stats, analyzer)
    }

    /// An informational answer from the candidates the passage model ranked
    /// ([`Engine::ranked_candidates`]).
    fn cite_ranked(
        &self,
        a: &Analysis,
        ranked: Vec<(usize, f64, Vec<f64>)>,
        sure: Confidence,
        evidence: Evidence,
        stats: &Stats,
        analyzer: &mut TextAnalyzer,
    ) -> Answer {
        let top = ranked.first().map_or(0.0, |r| r.1);
        let cited: Vec<Hit> = ranked
            .iter()
            .take(MAX_SOURCES)
            .filter(|r| r.1 >= top * f64::from(MIN_RELATIVE_SCORE))
            .map(|r| Hit { pid: r.0, score: r.1 as f32 })
            .collect();
        if cited.is_empty() {
            return self.decline(&a.q, Declined::NotCovered, evidence, Confidence::Low);
        }
        let mut evidence = evidence;
        if scope::explain() {
            evidence.hits = ranked
                .into_iter()
                .map(|(pid, p, row)| {
                    let named = signals::PASSAGE.iter().map(|n| (*n).to_owned()).zip(row).collect();
                    (self.corpus.passages[pid].heading.clone(), p, named)
                })
                .collect();
        }
        let confidence = sure;
        let mut answer = self.assemble(a, &[], &cited, stats, confidence, evidence, analyzer);
        answer.asked_as = QuestionType::Informational;
        answer
    }

    /// The sentence of the first cited passages that answers the question best: the one with the
    /// most of the focus terms' weight (the first passage's sentences count a little more; ties go
    /// to the earlier sentence).
    pub(super) fn lead(&self, a: &Analysis, cited: &[Hit], analyzer: &mut TextAnalyzer) -> Option<Lead> {
        const LEAD_PASSAGES: usize = 2;
        const LATER_PASSAGE: f32 = 0.8;
        let mut best: Option<(f32, Lead)> = None;
        for (i, hit) in cited.iter().enumerate().take(LEAD_PASSAGES) {
            let tokens = self.tokens(hit.pid, analyzer);
            let display = tokens.display();
            for range in tokens.sentences().iter().cloned() {
                let weight: f32 = a
                    .focus
                    .iter()
                    .filter(|t| t.forms.iter().any(|f| self.index.passage_has_within(tokens, f, range.clone())))
                    .map(|t| t.idf.unwrap_or(0.0))
                    .sum::<f32>()
                    * if i == 0 { 1.0 } else { LATER_PASSAGE };
                if weight > 0.0 && best.as_ref().is_none_or(|(w, _)| weight > *w) {
                    best = Some((weight, Lead { sentence: display[range].to_owned(), source: i }));
                }
            }
        }
        best.map(|(_, lead)| lead)
    }

    /// Every candidate passage with the passage model's probability that it answers and its
    /// signals ([`signals::PASSAGE`]), most probable first (the earlier passage on a tie).
    pub(super) fn ranked_candidates(
        &self,
        a: &Analysis,
        question: &[f64],
        d: &Decisions,
    ) -> Vec<(usize, f64, Vec<f64>)> {
        let rows = signals::passages(a, &self.corpus.passages, question);
        let mut ranked: Vec<(usize, f64, Vec<f64>)> = a
            .candidates
            .iter()
            .zip(rows)
            .map(|(c, x)| (c.pid, d.model.rank.probability(&pick(&x, &d.rank), "yes"), x))
            .collect();
        ranked.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
        ranked
    }

    /// A list question answered from the table: the features that fit, each with its passage.
    pub(super) fn listed(
        &self,
        a: &Analysis,
        list: crate::answer::Listing,
        sure: Confidence,
        evidence: Evidence,
        stats: &Stats,
        analyzer: &mut TextAnalyzer,
    ) -> Answer {
        let cited: Vec<Hit> = listing::passages(self, &list).into_iter().map(|pid| Hit { pid, score: 1.0 }).collect();
        let confidence = sure;
        let mut answer = self.assemble(a, &[], &cited, stats, confidence, evidence, analyzer);
        answer.asked_as = QuestionType::List;
        answer.listing = Some(list);
        answer
    }
}

impl Engine {
    /// The answer: verdicts for `features`, cited sources with snippets, caveats and a `/cost`
    /// suggestion.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn assemble(
        &self,
        a: &Analysis,
        features: &[usize],
        cited: &[Hit],
        stats: &Stats,
        confidence: Confidence,
        evidence: Evidence,
        analyzer: &mut TextAnalyzer,
    ) -> Answer {
        let (q, u) = (&a.q, &a.u);
        // Snippets show the question's own words and the features', not every synonym.
        let mut weights = self.index.highlight_weights(stats, &q.terms);
        for &fi in features {
            for &(t, w) in &self.features[fi].highlights {
                if !weights.iter().any(|&(x, _)| x == t) {
                    weights.push((t, w));
                }
            }
        }
        let highlighter = Highlighter::new(weights, SNIPPET_CHARS);
        let many_docs = self.corpus.docs.len() > 1;
        let sources: Vec<Source> = cited
            .iter()
            .map(|hit| {
                let p = &self.corpus.passages[hit.pid];
                let (text, highlights) = highlighter.snippet(self.tokens(hit.pid, analyzer));
                Source {
                    doc: p.doc.clone(),
                    title: many_docs.then(|| self.title_of(&p.doc).to_owned()),
                    section: p.section.clone(),
                    heading: p.heading.clone(),
                    score: hit.score,
                    snippet: Snippet { text, highlights },
                }
            })
            .collect();
        let verdicts: Vec<Verdict> = features.iter().map(|&fi| self.verdict(fi, u)).collect();
        let mut caveats = self.caveats(features, cited, q, u);
        if !a.unknown.is_empty() {
            caveats.push(Caveat::Unmentioned { names: a.unknown.clone(), articles: self.corpus.docs.len() });
        }
        let lead = if features.is_empty() { self.lead(a, cited, analyzer) } else { None };
        Answer {
            question: q.asked.clone(),
            kind: if verdicts.is_empty() { Kind::Search } else { Kind::Feature },
            asked_as: QuestionType::Availability,
            confidence,
            listing: None,
            verdicts,
            sources,
            lead,
            caveats,
            suggestion: self.cost_suggestion(q, u, cited.first().map(|h| self.corpus.passages[h.pid].doc.as_str())),
            declined: None,
            evidence,
            revision: self.revision.corpus.clone(),
            record: None,
            read_as: None,
        }
    }

    pub(super) fn verdict(&self, fi: usize, u: &Understanding) -> Verdict {
        let table = &self.corpus.table;
        phrasing::verdict(table, &table.features[fi], u.asked(), &u.products, &self.sources_phrase(false))
    }

    pub(super) fn caveats(&self, features: &[usize], cited: &[Hit], q: &Question, u: &Understanding) -> Vec<Caveat> {
        let mut out: Vec<Caveat> = Vec::new();
        let mut push = |c: Caveat| {
            if !out.contains(&c) {
                out.push(c);
            }
        };
        for &fi in features {
            let f = &self.corpus.table.features[fi];
            // The caveats of the articles whose values the verdict shows.
            let order = self.evidence_order(fi, u);
            let caveats: Vec<&String> = if order.is_empty() {
                f.caveats.iter().collect()
            } else {
                order.iter().filter_map(|&e| f.evidence.get(e)).flat_map(|e| &e.caveats).collect()
            };
            for c in caveats {
                push(Caveat::Table(c.clone()));
            }
        }
        let many_docs = self.corpus.docs.len() > 1;
        for hit in cited {
            let p = &self.corpus.passages[hit.pid];
            // A mark with neither a claim nor words of its own says nothing a reader could use.
            for mark in p.verify.iter().filter(|m| !m.claim.is_empty() || !m.what.is_empty()) {
                let article = many_docs.then(|| self.title_of(&p.doc).to_owned());
                push(Caveat::Unverified { article, claim: mark.to_string() });
            }
        }
        let mut read: Vec<(String, String)> = Vec::new();
        for h in u.hits.iter().filter(|h| features.contains(&h.feature)) {
            for &p in &h.typo_at {
                let r = (q.words[p].text.clone(), self.matcher.canonical(h.feature));
                if !read.contains(&r) {
                    read.push(r);
                }
            }
        }
        if !read.is_empty() {
            push(Caveat::ReadAs(read));
        }
        if let Some((word, products)) = &u.ambiguous
            && !features.is_empty()
        {
            let table = &self.corpus.table;
            let products = products.iter().filter_map(|&p| table.products.get(p)).map(|p| p.name.clone()).collect();
            push(Caveat::Ambiguous { word: word.clone(), products });
        }
        if let Some((vendor, _)) = &u.other {
            push(Caveat::OtherVendor { vendor: vendor.clone(), articles: self.corpus.docs.len() });
        }
        out
    }

    /// A `/cost` command for questions about prices, with the model they name, else the default
    /// model of the vendor asked about: the price file of the product the question names, else of
    /// the article it is about (`doc`, its first cited source's); as a conversation habit against
    /// that vendor's plan when the question names the plan or a monthly price.
    pub(super) fn cost_suggestion(&self, q: &Question, u: &Understanding, doc: Option<&str>) -> Option<Suggestion> {
        const PRICE_WORDS: &[&str] =
            &["cost", "price", "pricing", "expens", "cheap", "cheaper", "pay", "dollar", "bill", "spend", "budget"];
        let asks_price =
            q.text.contains('$') || q.words.iter().any(|w| PRICE_WORDS.iter().any(|p| w.stem.starts_with(p)));
        if !asks_price || !self.priced {
            return None;
        }
        let prices = &self.prices;
        let table = &self.corpus.table;
        let mentioned = prices.mentioned_model(&q.text).and_then(|n| prices.resolve_model(n).ok());
        let sheet = match mentioned {
            Some(m) => prices.sheet_of(m),
            None => u
                .products
                .iter()
                .filter_map(|&p| table.products.get(p))
                .find_map(|p| prices.for_product(&p.id))
                .or_else(|| doc.and_then(|d| prices.for_doc(d)))
                .or_else(|| prices.sheets().first())?,
        };
        let model = mentioned.or_else(|| prices.sheet_default(sheet))?.name();
        // A question that names the plan, or prices by the month, compares a habit with it.
        let plan_words: Vec<String> = sheet
            .compare_plan()
            .map(|p| p.name().split_whitespace().map(str::to_lowercase).collect())
            .unwrap_or_default();
        let product_words: Vec<&str> =
            self.corpus.table.products.iter().flat_map(|p| p.words.iter().map(String::as_str)).collect();
        let conversation = q.words.iter().any(|w| {
            matches!(w.stem.as_str(), "month" | "monthli" | "subscript" | "subscrib")
                || (plan_words.contains(&w.text) && !product_words.contains(&w.text.as_str()))
        });
        // What the suggested command computes, worked out now for the answer to say.
        let request = if conversation {
            let (conversations_per_day, turns, user_tokens, reply_tokens) = crate::answer::CONVERSATION;
            crate::cost::CostRequest::Conversation(crate::cost::ConversationRequest {
                model: Some(model.to_owned()),
                conversations_per_day,
                turns,
                user_tokens,
                reply_tokens,
                batch: false,
            })
        } else {
            crate::cost::CostRequest::Calls(crate::cost::CallRequest {
                model: Some(model.to_owned()),
                input: Some(crate::cost::Input::Tokens(crate::answer::CALL.0)),
                output_tokens: Some(crate::answer::CALL.1),
                ..Default::default()
            })
        };
        let estimate = crate::cost::estimate(&self.prices, &request).ok().map(Box::new);
        Some(Suggestion::Cost { model: model.to_owned(), conversation, estimate })
    }

    /// An out-of-scope answer, with a sentence saying what the corpus covers (from its titles and
    /// product names).
    pub(super) fn decline(&self, q: &Question, why: Declined, evidence: Evidence, confidence: Confidence) -> Answer {
        let message = self.decline_message(&why);
        Answer {
            question: q.asked.clone(),
            kind: Kind::OutOfScope,
            asked_as: QuestionType::NotCovered,
            confidence,
            listing: None,
            verdicts: Vec::new(),
            sources: Vec::new(),
            lead: None,
            caveats: Vec::new(),
            suggestion: None,
            declined: Some((why, message)),
            evidence,
            revision: self.revision.corpus.clone(),
            record: None,
            read_as: None,
        }
    }
}

/// The confidence model's probability that an answer taking `decision` is right.
fn right(decision: &Decision, x: &[f64], d: &Decisions) -> f64 {
    d.model.confidence.probability(&pick(&signals::confidence(decision, x), &d.confidence), "right")
}

/// A verdict that stands on the table only in part (a withheld detail, a plan the table does not go
/// by) is no surer than medium.
fn at_most_medium(confidence: &mut Confidence) {
    if *confidence == Confidence::High {
        *confidence = Confidence::Medium;
    }
}
