//! A progress line on standard error for long CLI tasks. On a terminal it redraws one line
//! (a bar when the total is known); in a log it prints a line every ten percent (or every
//! 100,000 items without a total), so CI output stays short.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

pub struct Progress {
    label: &'static str,
    total: Option<u64>,
    started: Instant,
    last_draw: Instant,
    last_step: u64,
    terminal: bool,
}

impl Progress {
    pub fn new(label: &'static str, total: Option<u64>) -> Self {
        let now = Instant::now();
        Progress {
            label,
            total: total.filter(|t| *t > 0),
            started: now,
            last_draw: now - Duration::from_secs(1),
            last_step: 0,
            terminal: std::io::stderr().is_terminal(),
        }
    }

    /// The text for `done` items: a bar and percentage when the total is known.
    pub fn line(&self, done: u64, unit: &str) -> String {
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        let rate = done as f64 / secs;
        match self.total {
            Some(total) => {
                let share = (done as f64 / total as f64).min(1.0);
                let filled = (share * 30.0).round() as usize;
                format!(
                    "{} [{}{}] {:>3.0}% {done}/{total} {unit} ({rate:.0}/s)",
                    self.label,
                    "#".repeat(filled),
                    ".".repeat(30 - filled),
                    share * 100.0
                )
            }
            None => format!("{} {done} {unit} ({rate:.0}/s)", self.label),
        }
    }

    /// Reports `done` items; cheap enough to call per item.
    pub fn update(&mut self, done: u64, unit: &str) {
        if self.terminal {
            if self.last_draw.elapsed() >= Duration::from_millis(100) {
                self.last_draw = Instant::now();
                eprint!("\r{}\x1b[K", self.line(done, unit));
                let _ = std::io::stderr().flush();
            }
            return;
        }
        let step = match self.total {
            Some(total) => done * 10 / total,
            None => done / 100_000,
        };
        if step > self.last_step {
            self.last_step = step;
            eprintln!("{}", self.line(done, unit));
        }
    }

    /// The final line.
    pub fn finish(&mut self, done: u64, unit: &str) {
        if self.terminal {
            eprintln!("\r{}\x1b[K", self.line(done, unit));
        } else {
            eprintln!("{}", self.line(done, unit));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_fills_with_the_share_done() {
        let p = Progress::new("import", Some(200));
        let line = p.line(50, "lines");
        assert!(
            line.starts_with("import [########......................]  25% 50/200 lines"),
            "{line}"
        );
        assert!(
            Progress::new("export", None)
                .line(7, "rows")
                .starts_with("export 7 rows (")
        );
    }
}
