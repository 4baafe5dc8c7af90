//! Charts drawn as SVG while the page renders, so they appear before the WASM loads, print well
//! and need no chart library. Colours come from CSS custom properties (light and dark); every bar
//! and point carries an SVG `<title>`, which browsers show on hover.

use leptos::prelude::*;

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Bars; several bar series stack.
    Bars,
    /// A line through the points; gaps where a value is missing.
    Line,
}

/// How values are written on the axis and in hover text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Share,
    Rating,
}

impl Unit {
    pub fn format(self, v: f64) -> String {
        match self {
            Unit::Count => {
                if v >= 10_000.0 {
                    format!("{:.0}k", v / 1000.0)
                } else {
                    format!("{v:.0}")
                }
            }
            Unit::Share => format!("{:.0}%", v * 100.0),
            Unit::Rating => format!("{v:.1}"),
        }
    }

    fn exact(self, v: f64) -> String {
        match self {
            Unit::Count => format!("{v:.0}"),
            Unit::Share => format!("{:.1}%", v * 100.0),
            Unit::Rating => format!("{v:.2}"),
        }
    }
}

/// One named series of values, one per category.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub mark: Mark,
    pub values: Vec<Option<f64>>,
    /// A shaded interval around a line (low, high) per category.
    pub band: Option<Vec<Option<(f64, f64)>>>,
    /// Extra hover text per category (for example the count behind a rate).
    pub notes: Option<Vec<String>>,
    /// Text printed above each bar (for example the count behind a rate).
    pub captions: Option<Vec<String>>,
}

impl Series {
    pub fn bars(name: impl Into<String>, values: impl IntoIterator<Item = f64>) -> Self {
        Series {
            name: name.into(),
            mark: Mark::Bars,
            values: values.into_iter().map(Some).collect(),
            band: None,
            notes: None,
            captions: None,
        }
    }

    pub fn line(name: impl Into<String>, values: Vec<Option<f64>>) -> Self {
        Series {
            name: name.into(),
            mark: Mark::Line,
            values,
            band: None,
            notes: None,
            captions: None,
        }
    }

    pub fn with_band(mut self, band: Vec<Option<(f64, f64)>>) -> Self {
        self.band = Some(band);
        self
    }

    pub fn with_notes(mut self, notes: Vec<String>) -> Self {
        self.notes = Some(notes);
        self
    }
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 10.0;
/// Room above the plot for the captions over full-height bars.
const TOP: f64 = 20.0;
const BOTTOM: f64 = 30.0;
/// At most this many category labels under the axis; the rest are in the hover text.
const MAX_LABELS: usize = 8;

/// The smallest "round" number (1, 2 or 5 times a power of ten) at or above `v`.
fn nice_ceiling(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|c| *c >= v)
        .unwrap_or(10.0 * magnitude)
}

use crate::html::escape as esc;

/// A bar / line chart over categories, with a legend.
///
/// The SVG is written as markup rather than built from `view!` nodes: a chart is hundreds of
/// elements of a dozen shapes placed by arithmetic, which reads plainly as one string builder and
/// is tested as markup (below). It was first chosen to keep charts out of the WASM; now that the
/// dashboard's body sits outside any island, none of it reaches the WASM either way. Every piece
/// of text from the data goes through [`esc`], and only numbers and fixed names go in unescaped.
///
/// `name` identifies the chart to tests (`data-chart`); `data-total` is the sum of every value
/// drawn, which lets a test see that a filter changed what is shown.
#[component]
pub fn Chart(
    /// Short identifier, also used for the accessible label's id.
    name: &'static str,
    /// What the chart shows, read by screen readers.
    #[prop(into)]
    caption: String,
    /// Category labels along the x axis.
    labels: Vec<String>,
    series: Vec<Series>,
    unit: Unit,
    /// Fixed top of the y axis (for shares and ratings); otherwise from the data.
    #[prop(optional)]
    y_max: Option<f64>,
    /// A vertical marker at a fraction (0–1) of the x axis, with its label.
    #[prop(optional)]
    marker: Option<(f64, String)>,
) -> AnyView {
    let total: f64 = series.iter().flat_map(|s| s.values.iter().flatten()).sum();
    let markup = svg_markup(
        name,
        &caption,
        &labels,
        &series,
        unit,
        y_max,
        marker.as_ref(),
    );
    view! {
        <figure class="chart" data-chart=name data-total=format!("{total}") inner_html=markup></figure>
    }
    .into_any()
}

/// The chart's SVG and legend as markup.
fn svg_markup(
    name: &str,
    caption: &str,
    labels: &[String],
    series: &[Series],
    unit: Unit,
    y_max: Option<f64>,
    marker: Option<&(f64, String)>,
) -> String {
    use std::fmt::Write;

    let n = labels.len().max(1);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let band_w = plot_w / n as f64;

    // Stacked height of the bar series per category, for the axis.
    let stacked: Vec<f64> = (0..n)
        .map(|i| {
            series
                .iter()
                .filter(|s| s.mark == Mark::Bars)
                .filter_map(|s| s.values.get(i).copied().flatten())
                .sum()
        })
        .collect();
    let line_max = series
        .iter()
        .filter(|s| s.mark == Mark::Line)
        .flat_map(|s| {
            s.values
                .iter()
                .flatten()
                .copied()
                .chain(s.band.iter().flatten().flatten().map(|(_, hi)| *hi))
        })
        .fold(0.0, f64::max);
    // Counts start from an axis of at least 5 so the five gridline steps stay whole numbers.
    let top = y_max
        .unwrap_or_else(|| nice_ceiling(stacked.iter().copied().fold(line_max, f64::max).max(5.0)));
    let y = |v: f64| TOP + plot_h - (v / top).clamp(0.0, 1.0) * plot_h;
    let x_mid = |i: usize| LEFT + (i as f64 + 0.5) * band_w;
    let hover = |s: &Series, i: usize, v: f64| {
        let note = s
            .notes
            .as_ref()
            .and_then(|n| n.get(i))
            .map(String::as_str)
            .unwrap_or("");
        let label = labels.get(i).map(String::as_str).unwrap_or("");
        esc(&format!("{label} · {}: {}{note}", s.name, unit.exact(v)))
    };

    // Writing into a String cannot fail; the results of write! are ignored for that reason.
    let mut out = String::with_capacity(4096);
    let _ = write!(
        out,
        r#"<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="chart-{name}"><title id="chart-{name}">{}</title>"#,
        esc(caption)
    );
    for k in 0..=5 {
        let v = top * k as f64 / 5.0;
        let gy = y(v);
        let _ = write!(
            out,
            r#"<line class="grid" x1="{LEFT}" x2="{}" y1="{gy:.1}" y2="{gy:.1}"/><text class="tick" x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
            WIDTH - RIGHT,
            LEFT - 6.0,
            gy + 4.0,
            unit.format(v)
        );
    }
    let step = n.div_ceil(MAX_LABELS);
    for (i, label) in labels.iter().enumerate().filter(|(i, _)| i % step == 0) {
        let _ = write!(
            out,
            r#"<text class="tick" x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
            x_mid(i),
            HEIGHT - BOTTOM + 16.0,
            esc(label)
        );
    }

    let mut base = vec![0.0; n];
    for (k, s) in series
        .iter()
        .enumerate()
        .filter(|(_, s)| s.mark == Mark::Bars)
    {
        for (i, v) in s.values.iter().enumerate().take(n) {
            let Some(v) = *v else { continue };
            if v <= 0.0 {
                continue;
            }
            let (y0, y1) = (y(base[i]), y(base[i] + v));
            base[i] += v;
            let _ = write!(
                out,
                r#"<rect class="bar s{}" x="{:.1}" y="{y1:.1}" width="{:.1}" height="{:.1}"><title>{}</title></rect>"#,
                k % 6,
                LEFT + i as f64 * band_w + band_w * 0.12,
                band_w * 0.76,
                (y0 - y1).max(0.5),
                hover(s, i, v)
            );
            if let Some(caption) = s.captions.as_ref().and_then(|c| c.get(i)) {
                let _ = write!(
                    out,
                    r#"<text class="caption" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                    x_mid(i),
                    y1 - 4.0,
                    esc(caption)
                );
            }
        }
    }
    for (k, s) in series
        .iter()
        .enumerate()
        .filter(|(_, s)| s.mark == Mark::Line)
    {
        if let Some(band) = &s.band {
            let upper: Vec<String> = band
                .iter()
                .enumerate()
                .take(n)
                .filter_map(|(i, b)| b.map(|(_, hi)| format!("{:.1},{:.1}", x_mid(i), y(hi))))
                .collect();
            let lower: Vec<String> = band
                .iter()
                .enumerate()
                .take(n)
                .filter_map(|(i, b)| b.map(|(lo, _)| format!("{:.1},{:.1}", x_mid(i), y(lo))))
                .collect();
            if upper.len() > 1 {
                let points: Vec<String> =
                    upper.into_iter().chain(lower.into_iter().rev()).collect();
                let _ = write!(
                    out,
                    r#"<polygon class="band s{}" points="{}"/>"#,
                    k % 6,
                    points.join(" ")
                );
            }
        }
        // One path with a move at every gap.
        let mut d = String::new();
        let mut pen_down = false;
        for (i, v) in s.values.iter().enumerate().take(n) {
            match v {
                Some(v) => {
                    let _ = write!(
                        d,
                        "{}{:.1},{:.1} ",
                        if pen_down { 'L' } else { 'M' },
                        x_mid(i),
                        y(*v)
                    );
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        let _ = write!(
            out,
            r#"<path class="line s{}" d="{}"/>"#,
            k % 6,
            d.trim_end()
        );
        for (i, v) in s.values.iter().enumerate().take(n) {
            let Some(v) = *v else { continue };
            let _ = write!(
                out,
                r#"<circle class="point s{}" cx="{:.1}" cy="{:.1}" r="3.5"><title>{}</title></circle>"#,
                k % 6,
                x_mid(i),
                y(v),
                hover(s, i, v)
            );
        }
    }
    if let Some((fraction, label)) = marker {
        let mx = LEFT + fraction.clamp(0.0, 1.0) * plot_w;
        let _ = write!(
            out,
            r#"<line class="marker" x1="{mx:.1}" x2="{mx:.1}" y1="{TOP}" y2="{:.1}"/><text class="marker-label" x="{:.1}" y="{}">{}</text>"#,
            TOP + plot_h,
            mx + 4.0,
            TOP + 12.0,
            esc(label)
        );
    }
    if series
        .iter()
        .all(|s| s.values.iter().flatten().all(|v| *v == 0.0))
    {
        let _ = write!(
            out,
            r#"<text class="empty" x="{:.1}" y="{:.1}" text-anchor="middle">No data in this range</text>"#,
            LEFT + plot_w / 2.0,
            TOP + plot_h / 2.0
        );
    }
    out.push_str("</svg><ul class=\"legend\">");
    for (k, s) in series.iter().enumerate() {
        let _ = write!(
            out,
            r#"<li><span class="swatch s{}" aria-hidden="true"></span>{}</li>"#,
            k % 6,
            esc(&s.name)
        );
    }
    out.push_str("</ul>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_from_the_data_is_escaped_in_the_markup() {
        let series = vec![Series::bars("<script>alert(1)</script>", [1.0])];
        let markup = svg_markup(
            "t",
            "a \"caption\"",
            &["x & y".into()],
            &series,
            Unit::Count,
            None,
            None,
        );
        assert!(!markup.contains("<script>"));
        assert!(markup.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(markup.contains("x &amp; y"));
        assert!(markup.contains("a &quot;caption&quot;"));
    }

    #[test]
    fn stacked_bars_are_drawn_one_rect_per_positive_value_with_hover_text() {
        let series = vec![
            Series::bars("low", [2.0, 0.0]),
            Series::bars("high", [3.0, 1.0]),
        ];
        let markup = svg_markup(
            "t",
            "c",
            &["d1".into(), "d2".into()],
            &series,
            Unit::Count,
            None,
            None,
        );
        assert_eq!(markup.matches("<rect").count(), 3);
        assert!(markup.contains("<title>d1 · high: 3</title>"));
        assert!(!markup.contains("No data"));
        let empty = svg_markup(
            "t",
            "c",
            &["d1".into()],
            &[Series::bars("x", [0.0])],
            Unit::Count,
            None,
            None,
        );
        assert!(empty.contains("No data in this range"));
    }

    #[test]
    fn axis_tops_are_round_numbers_at_or_above_the_data() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(7.0), 10.0);
        assert_eq!(nice_ceiling(10.0), 10.0);
        assert_eq!(nice_ceiling(13.0), 20.0);
        assert_eq!(nice_ceiling(420.0), 500.0);
    }
}
