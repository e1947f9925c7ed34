//! Labelled question sets: reading them, judging an answer against its label (as the project's
//! scorer does: a feature question needs the right feature, the expected availability and one of
//! the expected sections among the first three sources; any other covered question needs an
//! expected section first; an out-of-scope one needs a decline), and the report `productbot eval`
//! prints. The fitted decisions (`engine::fit`) are trained and calibrated on the same sets.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::answer::{Answer, Confidence, Kind};

/// One labelled question (a line of a `.jsonl` set).
#[derive(Debug, Clone, Deserialize)]
pub struct Case {
    pub q: String,
    /// `feature`, `search` or `out_of_scope`.
    pub kind: String,
    #[serde(default)]
    pub feature: Option<String>,
    #[serde(default)]
    pub product: Option<String>,
    /// The acceptable availability values: a list for the product asked about, or per product.
    #[serde(default)]
    pub expect: Option<serde_json::Value>,
    #[serde(default)]
    pub sections: Vec<String>,
    /// `availability`, `informational`, `list` or `out_of_scope`; derived from `kind` when absent.
    #[serde(default, rename = "type")]
    pub question_type: Option<String>,
}

impl Case {
    /// The question's type: its label, or what its kind implies.
    pub fn question_type(&self) -> &str {
        match (self.question_type.as_deref(), self.kind.as_str()) {
            (Some(t), _) => t,
            (None, "feature") => "availability",
            (None, "out_of_scope") => "out_of_scope",
            _ => "informational",
        }
    }

    /// Whether a passage of `section` answers the question.
    pub fn wants_section(&self, section: &str) -> bool {
        self.sections.iter().any(|s| norm(s) == norm(section))
    }
}

fn norm(s: &str) -> String {
    s.trim().to_lowercase()
}

/// Reads a `.jsonl` set; every bad line is reported (with its number).
pub fn load(path: &Path) -> anyhow::Result<Vec<Case>> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        match serde_json::from_str::<Case>(line) {
            Ok(c) => out.push(c),
            Err(e) => bad.push(format!("{}:{}: {e}", path.display(), i + 1)),
        }
    }
    if bad.is_empty() { Ok(out) } else { anyhow::bail!("{}", bad.join("\n")) }
}

/// Whether `a` answers `case` as labelled; `Err` says what is wrong.
pub fn judge(case: &Case, a: &Answer) -> Result<(), String> {
    let sections: Vec<&str> = a.sources.iter().map(|s| s.section.as_str()).collect();
    match case.kind.as_str() {
        "out_of_scope" => {
            if a.kind == Kind::OutOfScope {
                Ok(())
            } else {
                Err(format!("answered ({})", a.kind.as_str()))
            }
        }
        "feature" => {
            let v = a.verdict().ok_or_else(|| format!("no verdict ({})", a.kind.as_str()))?;
            if Some(&v.feature) != case.feature.as_ref() {
                return Err(format!("feature={}", v.feature));
            }
            let value = |p: &str| v.availability.iter().find(|x| x.id == p).map(|x| x.value.as_str());
            let allowed = |list: &serde_json::Value, got: Option<&str>| {
                list.as_array().is_some_and(|l| l.iter().any(|e| e.as_str().is_some_and(|e| Some(e) == got)))
            };
            let expect = case.expect.clone().unwrap_or_default();
            match &case.product {
                Some(p) if !allowed(&expect, value(p)) => return Err(format!("{p}={:?}", value(p))),
                None => {
                    for (p, list) in expect.as_object().into_iter().flatten() {
                        if !allowed(list, value(p)) {
                            return Err(format!("{p}={:?}", value(p)));
                        }
                    }
                }
                _ => {}
            }
            if sections.iter().take(3).any(|s| case.wants_section(s)) {
                Ok(())
            } else {
                Err(format!("sources={sections:?}"))
            }
        }
        _ => {
            if a.kind == Kind::OutOfScope {
                Err("declined".into())
            } else if sections.first().is_some_and(|s| case.wants_section(s)) {
                Ok(())
            } else {
                Err(format!("top={:?}", sections.iter().take(3).collect::<Vec<_>>()))
            }
        }
    }
}

/// How a set of answers scored.
#[derive(Debug, Default, Clone)]
pub struct Report {
    /// Per kind of question: (right, total).
    pub kinds: BTreeMap<String, (usize, usize)>,
    /// Answers given with high confidence: (right, total).
    pub high: (usize, usize),
    /// Declines among the out-of-scope questions (right, total).
    pub out_of_scope: (usize, usize),
    /// The questions answered wrongly, with why, and whether with high confidence.
    pub failures: Vec<(String, String, bool)>,
}

impl Report {
    pub fn add(&mut self, case: &Case, a: &Answer) {
        let verdict = judge(case, a);
        let ok = verdict.is_ok();
        let entry = self.kinds.entry(case.kind.clone()).or_default();
        entry.0 += usize::from(ok);
        entry.1 += 1;
        let high = a.confidence == Confidence::High;
        if high {
            self.high.0 += usize::from(ok);
            self.high.1 += 1;
        }
        if case.kind == "out_of_scope" {
            self.out_of_scope.0 += usize::from(ok);
            self.out_of_scope.1 += 1;
        }
        if let Err(why) = verdict {
            self.failures.push((case.q.clone(), why, high));
        }
    }

    pub fn right(&self) -> usize {
        self.kinds.values().map(|k| k.0).sum()
    }

    pub fn total(&self) -> usize {
        self.kinds.values().map(|k| k.1).sum()
    }

    /// Per kind, then accuracy, coverage (answered with high confidence), wrong with high
    /// confidence and out-of-scope recall.
    pub fn render(&self, name: &str, failures: bool) -> String {
        let mut s = String::new();
        if failures {
            for (q, why, high) in &self.failures {
                let _ = writeln!(s, "  {} {q:.100} -> {why}", if *high { "WRONG(high)" } else { "wrong(low) " });
            }
        }
        let pct = |a: usize, b: usize| if b == 0 { 0.0 } else { 100.0 * a as f64 / b as f64 };
        let kinds: Vec<String> = self.kinds.iter().map(|(k, (r, t))| format!("{k} {r}/{t}")).collect();
        let _ = writeln!(
            s,
            "{name}: {}/{} ({:.0}%) | {} | coverage {}/{} ({:.0}%) | wrong with high confidence {} | out-of-scope recall {}/{}",
            self.right(),
            self.total(),
            pct(self.right(), self.total()),
            kinds.join(", "),
            self.high.1,
            self.total(),
            pct(self.high.1, self.total()),
            self.high.1 - self.high.0,
            self.out_of_scope.0,
            self.out_of_scope.1,
        );
        s
    }
}

/// One training or evaluation set: labelled questions and the corpus they are about (one
/// directory, or several merged as an admin adds an article: documents side by side, feature
/// tables concatenated).
#[derive(Debug, Clone, Deserialize)]
pub struct SetSpec {
    pub questions: PathBuf,
    pub corpus: Vec<PathBuf>,
}

/// `sets.toml`: the sets, paths relative to the file.
#[derive(Debug, Deserialize)]
struct Manifest {
    set: Vec<SetSpec>,
}

pub fn manifest(path: &Path) -> anyhow::Result<Vec<SetSpec>> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let m: Manifest = toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    Ok(m.set
        .into_iter()
        .map(|s| SetSpec { questions: base.join(s.questions), corpus: s.corpus.iter().map(|c| base.join(c)).collect() })
        .collect())
}

/// A corpus directory holding every directory of `dirs` merged (documents copied, feature tables
/// concatenated), removed when dropped; a single directory is used as it is.
pub struct MergedCorpus {
    pub dir: PathBuf,
    temporary: bool,
}

impl MergedCorpus {
    pub fn new(dirs: &[PathBuf]) -> anyhow::Result<Self> {
        if let [one] = dirs {
            return Ok(MergedCorpus { dir: one.clone(), temporary: false });
        }
        let dir =
            std::env::temp_dir().join(format!("productbot-corpus-{}-{:x}", std::process::id(), rand::random::<u64>()));
        std::fs::create_dir_all(&dir)?;
        let merged = MergedCorpus { dir: dir.clone(), temporary: true };
        let mut tables = Vec::new();
        for d in dirs {
            for entry in std::fs::read_dir(d).map_err(|e| anyhow::anyhow!("{}: {e}", d.display()))? {
                let path = entry?.path();
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                if name == crate::corpus::FEATURES_FILE {
                    tables.push(std::fs::read_to_string(&path)?);
                } else if path.is_file() && !dir.join(&name).exists() {
                    std::fs::copy(&path, dir.join(&name))?;
                }
            }
        }
        std::fs::write(dir.join(crate::corpus::FEATURES_FILE), tables.join("\n"))?;
        Ok(merged)
    }
}

impl Drop for MergedCorpus {
    fn drop(&mut self) {
        if self.temporary {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
