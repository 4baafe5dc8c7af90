//! Times the source-support computation (and the word edit distance and word diff) on
//! documents of 1 KB, 10 KB, 100 KB and 1 MB with summaries at the summary cap, the code of
//! today against the code before issue 12 (kept verbatim in `old/`, for this comparison only).
//! Median of several runs each; a run of the old code that would take minutes is run fewer
//! times, and the output says so.
//!
//! Usage: support-bench [runs]   (default 5)

#![allow(dead_code)]

#[path = "../../../app/src/diff.rs"]
mod diff;
#[path = "../../../app/src/stats.rs"]
mod stats;
#[path = "../../../app/src/support/mod.rs"]
mod support;

/// The functions as they were before issue 12: for comparison only.
mod old {
    pub mod diff;
    pub mod stats;
    pub mod support;
}

use std::hint::black_box;
use std::time::{Duration, Instant};

/// Median wall time of `runs` calls of `f`.
fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn show(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms >= 1000.0 { format!("{:.1} s", ms / 1000.0) } else { format!("{ms:.2} ms") }
}

/// Ordinary-looking prose: sentences of 8 to 20 words from a 2,000-word vocabulary, some
/// capitalised, some numbers. Deterministic.
fn prose(bytes: usize, seed: u64) -> String {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    let mut out = String::new();
    while out.len() < bytes {
        let words = 8 + next() % 13;
        for w in 0..words {
            let n = next() % 2000;
            let word = match n % 17 {
                0 => format!("{}", 1990 + n % 40),
                1 => format!("Name{n}"),
                _ => format!("word{n}"),
            };
            if w == 0 {
                out.push('W');
                out.push_str(&word[1..]);
            } else {
                out.push_str(&word);
            }
            out.push(if w + 1 == words { '.' } else { ' ' });
        }
        out.push(' ');
    }
    out.truncate(bytes);
    out
}

fn main() {
    let runs: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(5);
    let cap = support::DEFAULT_MAX_SUMMARY_BYTES;
    // The old code on 1 MB of "Ab. " takes minutes a run; it is run once.
    let old_runs = |bytes: usize, pathological: bool| if pathological && bytes >= 1_000_000 { 1 } else { runs };
    println!("Source-support hints: summary {cap} bytes; median of {runs} runs (old code on 1 MB of \"Ab. \": 1 run)");
    println!("{:<12} {:>9} {:>12} {:>12} {:>9}", "input", "document", "old", "new", "speed-up");
    for (kind, pathological) in [("\"Ab. \"", true), ("prose", false)] {
        let summary = if pathological { "Ab. ".repeat(cap / 4) } else { prose(cap, 1) };
        for bytes in [1_000, 10_000, 100_000, 1_000_000] {
            let document = if pathological { "Ab. ".repeat(bytes / 4) } else { prose(bytes, 2) };
            // Identical results on ordinary text (within the caps), as the unit tests check.
            let new_result = support::Support::compute(&document, &summary);
            if !pathological {
                let old_result = old::support::Support::compute(&document, &summary);
                let n = new_result.summary.len();
                assert!(old_result.summary.len() >= n);
                for (a, b) in new_result.summary.iter().zip(&old_result.summary) {
                    assert_eq!((a.score, &a.sources, &a.unsupported), (b.score, &b.sources, &b.unsupported));
                }
            }
            let new = median(runs, || {
                black_box(support::Support::compute(black_box(&document), black_box(&summary)));
            });
            let old = median(old_runs(bytes, pathological), || {
                black_box(old::support::Support::compute(black_box(&document), black_box(&summary)));
            });
            println!(
                "{:<12} {:>9} {:>12} {:>12} {:>8.0}×{}",
                kind,
                bytes,
                show(old),
                show(new),
                old.as_secs_f64() / new.as_secs_f64(),
                if new_result.is_partial() { "  (new: capped)" } else { "" },
            );
        }
    }

    // The issue-17 bound: a 3 KB document and a 3-sentence summary, in the shape of the
    // summaries the marks are tuned on (copies of source sentences, one with a word changed).
    let document = prose(3_000, 5);
    let spans = support::sentences(&document);
    let pick = |i: usize| &document[spans[i].0 as usize..spans[i].1 as usize];
    let edited = pick(7).replacen("word", "Name", 1);
    let summary = format!("{} {} {}", pick(0), pick(3), edited);
    let many = (runs * 40).max(100);
    let took = median(many, || {
        black_box(support::Support::compute(black_box(&document), black_box(&summary)));
    });
    println!();
    println!(
        "3 KB document, 3-sentence summary: {} (median of {many} runs; {} marked sentence(s))",
        show(took),
        support::Support::compute(&document, &summary)
            .summary
            .iter()
            .filter(|s| s.marked)
            .count()
    );

    println!();
    println!("Word edit distance and word diff: summary vs. a correction sharing nothing; median of {runs} runs");
    println!("{:<28} {:>12} {:>12}", "input", "old", "new");
    for (label, a, b) in [
        ("20 KB \"Ab. \" vs \"Cd. \"", "Ab. ".repeat(cap / 4), "Cd. ".repeat(cap / 4)),
        ("20 KB prose vs prose", prose(cap, 3), prose(cap, 4)),
    ] {
        let old = median(runs, || {
            black_box(old::stats::word_edit_distance(black_box(&a), black_box(&b)));
        });
        let new = median(runs, || {
            black_box(stats::word_edit_distance(black_box(&a), black_box(&b)));
        });
        println!("{:<28} {:>12} {:>12}   edit distance", label, show(old), show(new));
        let old = median(runs, || {
            black_box(old::diff::word_diff(black_box(&a), black_box(&b)));
        });
        let new = median(runs, || {
            black_box(diff::word_diff(black_box(&a), black_box(&b)));
        });
        println!("{:<28} {:>12} {:>12}   word diff", label, show(old), show(new));
    }
    // A summary stored before the summary limit (1 MB) and a one-word correction of it: the old
    // edit distance fills 62.5 billion cells (not run); the new one sets the shared words aside.
    let long = "Ab. ".repeat(250_000);
    let mut edited = long.clone();
    edited.replace_range(400_000..400_003, "Cd.");
    let new = median(runs, || {
        black_box(stats::word_edit_distance(black_box(&long), black_box(&edited)));
    });
    println!("{:<28} {:>12} {:>12}   edit distance", "1 MB, one word changed", "not run", show(new));
    let other = "Cd. ".repeat(250_000);
    let new = median(runs, || {
        black_box(stats::word_edit_distance(black_box(&long), black_box(&other)));
    });
    println!("{:<28} {:>12} {:>12}   edit distance", "1 MB vs 1 MB, no word shared", "not run", show(new));
    // The same words in another order: a random text and its reverse. Only a lower bound fits.
    let mut seed: u64 = 3;
    let words: Vec<&str> = (0..250_000)
        .map(|_| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            if seed >> 63 == 0 { "Ab." } else { "Cd." }
        })
        .collect();
    let forward = words.join(" ");
    let backward = words.iter().rev().copied().collect::<Vec<_>>().join(" ");
    let new = median(runs, || {
        black_box(stats::bounded_word_edit_distance(black_box(&forward), black_box(&backward)));
    });
    println!("{:<28} {:>12} {:>12}   edit distance (a lower bound)", "1 MB vs its reverse", "not run", show(new));
    let old = median(runs, || {
        black_box(old::diff::word_diff(black_box(&forward), black_box(&backward)));
    });
    let new = median(runs, || {
        black_box(diff::word_diff(black_box(&forward), black_box(&backward)));
    });
    println!("{:<28} {:>12} {:>12}   word diff (both: replaced whole)", "1 MB vs its reverse", show(old), show(new));
}
