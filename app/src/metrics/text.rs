//! The few metric kinds Loupe needs (labelled counters and histograms, gauges written at scrape
//! time) and the Prometheus text exposition format (version 0.0.4) they are written in.
//!
//! Small enough to own: a client library would bring its own registry and the OpenMetrics
//! format, where Loupe wants a handful of families, the plain text format Prometheus and
//! `promtool check metrics` read, and gauges that are a database query at scrape time.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

/// Counters of one name, one per set of label values.
#[derive(Debug)]
pub struct CounterVec {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
    values: Mutex<BTreeMap<String, u64>>,
}

impl CounterVec {
    pub fn new(name: &'static str, help: &'static str, labels: &'static [&'static str]) -> Self {
        CounterVec {
            name,
            help,
            labels,
            values: Mutex::default(),
        }
    }

    /// Adds `n` to the series of `values` (one per label, in order); 0 makes the series exist.
    pub fn add(&self, values: &[&str], n: u64) {
        debug_assert_eq!(values.len(), self.labels.len(), "{}", self.name);
        let key = key(values);
        let mut map = self.values.lock().unwrap_or_else(|e| e.into_inner());
        *map.entry(key).or_default() += n;
    }

    pub fn render(&self, out: &mut String) {
        header(out, self.name, self.help, "counter");
        let map = self.values.lock().unwrap_or_else(|e| e.into_inner());
        for (key, n) in map.iter() {
            let values = split(key);
            sample(
                out,
                self.name,
                "",
                self.labels,
                &values,
                None,
                &n.to_string(),
            );
        }
    }
}

/// One histogram series: a count per bucket (not cumulative here; summed when written).
#[derive(Debug, Clone)]
struct Series {
    buckets: Vec<u64>,
    sum: f64,
    count: u64,
}

/// Histograms of one name with fixed bucket bounds, one per set of label values.
#[derive(Debug)]
pub struct HistogramVec {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
    bounds: &'static [f64],
    values: Mutex<BTreeMap<String, Series>>,
}

impl HistogramVec {
    /// `bounds`: the buckets' upper bounds, ascending (`+Inf` is implied).
    pub fn new(
        name: &'static str,
        help: &'static str,
        labels: &'static [&'static str],
        bounds: &'static [f64],
    ) -> Self {
        HistogramVec {
            name,
            help,
            labels,
            bounds,
            values: Mutex::default(),
        }
    }

    /// Records one observation in the series of `values`.
    pub fn observe(&self, values: &[&str], x: f64) {
        debug_assert_eq!(values.len(), self.labels.len(), "{}", self.name);
        let bucket = self.bounds.partition_point(|&b| b < x);
        let key = key(values);
        let mut map = self.values.lock().unwrap_or_else(|e| e.into_inner());
        let series = map.entry(key).or_insert_with(|| Series {
            buckets: vec![0; self.bounds.len() + 1],
            sum: 0.0,
            count: 0,
        });
        series.buckets[bucket] += 1;
        series.sum += x;
        series.count += 1;
    }

    pub fn render(&self, out: &mut String) {
        header(out, self.name, self.help, "histogram");
        // Copied out, so a scrape holds the lock only for the copy.
        let series: Vec<(String, Series)> = {
            let map = self.values.lock().unwrap_or_else(|e| e.into_inner());
            map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
        };
        for (key, s) in &series {
            let values = split(key);
            let values = &values;
            let mut cumulative = 0;
            for (i, n) in s.buckets.iter().enumerate() {
                cumulative += n;
                let le = match self.bounds.get(i) {
                    Some(b) => number(*b),
                    None => "+Inf".to_owned(),
                };
                let value = cumulative.to_string();
                sample(
                    out,
                    self.name,
                    "_bucket",
                    self.labels,
                    values,
                    Some(&le),
                    &value,
                );
            }
            let sum = number(s.sum);
            sample(out, self.name, "_sum", self.labels, values, None, &sum);
            let count = s.count.to_string();
            sample(out, self.name, "_count", self.labels, values, None, &count);
        }
    }
}

/// Separates label values in a series' key: no label value Loupe writes contains it.
const SEP: char = '\u{1f}';

/// A series' key: its label values, joined.
fn key(values: &[&str]) -> String {
    values.join(&SEP.to_string())
}

fn split(key: &str) -> Vec<String> {
    key.split(SEP).map(str::to_owned).collect()
}

/// One gauge sample: its label values (in the family's label order) and its value.
pub type Sample = (Vec<String>, f64);

/// A gauge family read at scrape time.
pub fn write_gauge(out: &mut String, name: &str, help: &str, labels: &[&str], samples: &[Sample]) {
    header(out, name, help, "gauge");
    for (values, v) in samples {
        sample(out, name, "", labels, values, None, &number(*v));
    }
}

fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    let help = help.replace('\\', "\\\\").replace('\n', "\\n");
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn sample(
    out: &mut String,
    name: &str,
    suffix: &str,
    labels: &[&str],
    values: &[String],
    le: Option<&str>,
    value: &str,
) {
    out.push_str(name);
    out.push_str(suffix);
    let pairs = labels
        .iter()
        .zip(values)
        .map(|(l, v)| (*l, v.as_str()))
        .chain(le.map(|le| ("le", le)));
    let mut first = true;
    for (label, value) in pairs {
        out.push(if first { '{' } else { ',' });
        first = false;
        let _ = write!(out, "{label}=\"{}\"", escape_label(value));
    }
    if !first {
        out.push('}');
    }
    out.push(' ');
    out.push_str(value);
    out.push('\n');
}

/// A label value as the format quotes it: backslash, double quote and newline escaped.
pub fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A number as the format writes it (Rust's `Display` never uses exponents; infinities and NaN
/// are spelled out).
fn number(x: f64) -> String {
    if x.is_nan() {
        "NaN".into()
    } else if x.is_infinite() {
        if x > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        x.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_and_end_with_inf() {
        let h = HistogramVec::new("t_seconds", "Help.", &["route"], &[0.1, 1.0]);
        h.observe(&["/a"], 0.05);
        h.observe(&["/a"], 0.1);
        h.observe(&["/a"], 5.0);
        let mut out = String::new();
        h.render(&mut out);
        assert!(
            out.contains("t_seconds_bucket{route=\"/a\",le=\"0.1\"} 2\n"),
            "{out}"
        );
        assert!(
            out.contains("t_seconds_bucket{route=\"/a\",le=\"1\"} 2\n"),
            "{out}"
        );
        assert!(
            out.contains("t_seconds_bucket{route=\"/a\",le=\"+Inf\"} 3\n"),
            "{out}"
        );
        assert!(out.contains("t_seconds_count{route=\"/a\"} 3\n"), "{out}");
        assert!(out.contains("t_seconds_sum{route=\"/a\"} 5.15\n"), "{out}");
    }

    #[test]
    fn label_values_are_escaped() {
        let mut out = String::new();
        write_gauge(
            &mut out,
            "g",
            "A gauge.",
            &["model"],
            &[(vec!["a\"b\\c\nd".into()], 1.5)],
        );
        assert!(out.ends_with("g{model=\"a\\\"b\\\\c\\nd\"} 1.5\n"), "{out}");
        let c = CounterVec::new("c_total", "A counter.", &[]);
        c.add(&[], 2);
        let mut out = String::new();
        c.render(&mut out);
        assert!(out.ends_with("\nc_total 2\n"), "{out}");
    }
}
