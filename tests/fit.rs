//! The fitted decisions: `src/engine/model.json` is what `productbot fit` makes of the labelled
//! questions in `tests/data/train/`, and the engine's answers follow it.

mod support;

use productbot::answer::{Confidence, QuestionType};
use productbot::engine::model::Model;
use serde_json::Value;

/// Every number of `a` within a relative 1e-6 of `b`'s (and every other value equal).
fn close(a: &Value, b: &Value, path: &str) {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!((x - y).abs() <= 1e-6 * x.abs().max(y.abs()).max(1.0), "{path}: {x} vs {y}");
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{path}");
            for (i, (x, y)) in x.iter().zip(y).enumerate() {
                close(x, y, &format!("{path}[{i}]"));
            }
        }
        (Value::Object(x), Value::Object(y)) => {
            assert_eq!(x.keys().collect::<Vec<_>>(), y.keys().collect::<Vec<_>>(), "{path}");
            for (k, v) in x {
                close(v, &y[k], &format!("{path}.{k}"));
            }
        }
        _ => assert_eq!(a, b, "{path}"),
    }
}

#[test]
fn refitting_the_training_sets_reproduces_the_shipped_model() {
    let sets = support::repo().join("tests/data/train/sets.toml");
    let refit = productbot::engine::fit_sets(&sets, &support::prices()).unwrap();
    let shipped = Model::shipped();
    close(&serde_json::to_value(&refit).unwrap(), &serde_json::to_value(&shipped).unwrap(), "model");
    // It was fitted on every training set, and its confident answers were right at the target
    // precision on questions held out of the fit.
    assert!(shipped.fitted.questions >= 900, "{:?}", shipped.fitted);
    let precision = shipped.fitted.cross_validated.iter().find(|(k, _)| k == "high_confidence_precision").unwrap().1;
    assert!(precision >= shipped.fitted.target_precision, "{:?}", shipped.fitted);
}

#[test]
fn answers_carry_the_decision_and_follow_its_kind() {
    let engine = support::shipped();
    for (q, kind) in [
        ("does the api have memory?", QuestionType::Availability),
        (
            "why does chatgpt format its answers differently from the api on the same model?",
            QuestionType::Informational,
        ),
        ("which features are api only?", QuestionType::List),
        ("how do I reset my chatgpt password?", QuestionType::NotCovered),
    ] {
        let a = engine.answer(q);
        let d = a.evidence.decision.as_ref().unwrap_or_else(|| panic!("{q}: no decision"));
        assert_eq!((d.kind, a.asked_as), (kind, kind), "{q}: {d:?}");
        assert!((0.0..=1.0).contains(&d.right) && (0.0..=1.0).contains(&d.covered), "{d:?}");
        // Only an availability question gets a verdict.
        assert_eq!(a.verdicts.is_empty(), kind != QuestionType::Availability, "{q}");
        let high = d.right >= Model::shipped().high_confidence;
        assert_eq!(a.confidence == Confidence::High, high, "{q}: {d:?}");
    }
}
