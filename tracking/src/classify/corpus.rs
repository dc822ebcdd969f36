//! Scoring the classifier on a labelled corpus: one JSON object per line, a hit with its
//! context and the class a person would give it. Precision and recall are of `counted`
//! (DESIGN.md §7: both >= 0.95).

use super::{classify, Context, Hit, HitClass, PriorHit, Signatures};
use serde::Deserialize;
use std::net::IpAddr;

/// One labelled line.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorpusCase {
    pub name: String,
    pub hit: Hit,
    #[serde(default)]
    pub context: CaseContext,
    pub expected: HitClass,
}

/// The owned form of [`Context`], as the corpus writes it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CaseContext {
    pub sent_at_ms: Option<i64>,
    pub sender_last_seen: Option<SenderSeen>,
    pub previous: Vec<PriorHit>,
    pub links_in_message: u32,
    pub to_self: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SenderSeen {
    pub ip: IpAddr,
    pub user_agent: String,
}

/// Why a corpus could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error("corpus line {line} is not a labelled hit ({reason}); fix the line")]
    BadLine { line: usize, reason: String },
}

/// How the classifier did on a corpus.
#[derive(Debug, Clone, PartialEq)]
pub struct CorpusReport {
    pub cases: usize,
    /// Counted and expected counted.
    pub true_positives: usize,
    /// Counted but expected not.
    pub false_positives: usize,
    /// Expected counted but not counted.
    pub false_negatives: usize,
    /// Cases whose exact class matched the label.
    pub classes_matched: usize,
    /// `name: expected X, got Y (reasons)` for each case whose class differs.
    pub mismatches: Vec<String>,
}

impl CorpusReport {
    /// Of the hits counted, the share that should be (1.0 when none were counted).
    pub fn precision(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_positives,
        )
    }

    /// Of the hits that should be counted, the share that were (1.0 when none should be).
    pub fn recall(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_negatives,
        )
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        1.0
    } else {
        part as f64 / whole as f64
    }
}

/// Parses the corpus (JSON lines; blank lines and `//` comment lines skipped).
pub fn parse(jsonl: &str) -> Result<Vec<CorpusCase>, CorpusError> {
    jsonl
        .lines()
        .enumerate()
        .filter(|(_, line)| {
            let line = line.trim();
            !line.is_empty() && !line.starts_with("//")
        })
        .map(|(at, line)| {
            serde_json::from_str(line).map_err(|e| CorpusError::BadLine {
                line: at + 1,
                reason: e.to_string(),
            })
        })
        .collect()
}

/// Classifies every case of the corpus and scores `counted`.
pub fn evaluate(jsonl: &str, sigs: &Signatures) -> Result<CorpusReport, CorpusError> {
    let cases = parse(jsonl)?;
    let mut report = CorpusReport {
        cases: cases.len(),
        true_positives: 0,
        false_positives: 0,
        false_negatives: 0,
        classes_matched: 0,
        mismatches: Vec::new(),
    };
    for case in &cases {
        let sender = case
            .context
            .sender_last_seen
            .as_ref()
            .map(|seen| (seen.ip, seen.user_agent.as_str()));
        let ctx = Context {
            sent_at_ms: case.context.sent_at_ms,
            sender_last_seen: sender,
            previous: &case.context.previous,
            links_in_message: case.context.links_in_message,
            to_self: case.context.to_self,
        };
        let got = classify(&case.hit, &ctx, sigs);
        match (got.counted, case.expected.counted()) {
            (true, true) => report.true_positives += 1,
            (true, false) => report.false_positives += 1,
            (false, true) => report.false_negatives += 1,
            (false, false) => {}
        }
        if got.class == case.expected {
            report.classes_matched += 1;
        } else {
            report.mismatches.push(format!(
                "{}: expected {}, got {} ({})",
                case.name,
                case.expected.as_str(),
                got.class.as_str(),
                got.reasons.join(", ")
            ));
        }
    }
    Ok(report)
}
