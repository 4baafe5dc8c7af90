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
}

impl Series {
    pub fn bars(name: impl Into<String>, values: impl IntoIterator<Item = f64>) -> Self {
        Series {
            name: name.into(),
            mark: Mark::Bars,
            values: values.into_iter().map(Some).collect(),
            band: None,
            notes: None,
        }
    }

    pub fn line(name: impl Into<String>, values: Vec<Option<f64>>) -> Self {
        Series {
            name: name.into(),
            mark: Mark::Line,
            values,
            band: None,
            notes: None,
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
const TOP: f64 = 10.0;
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

/// A bar / line chart over categories, with a legend.
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
            s.values.iter().flatten().copied().chain(
                s.band
                    .iter()
                    .flatten()
                    .flatten()
                    .map(|(_, hi)| *hi),
            )
        })
        .fold(0.0, f64::max);
    // Counts start from an axis of at least 5 so the five gridline steps stay whole numbers.
    let top = y_max.unwrap_or_else(|| {
        nice_ceiling(stacked.iter().copied().fold(line_max, f64::max).max(5.0))
    });
    let y = move |v: f64| TOP + plot_h - (v / top).clamp(0.0, 1.0) * plot_h;
    let x_mid = move |i: usize| LEFT + (i as f64 + 0.5) * band_w;
    let total: f64 = series.iter().flat_map(|s| s.values.iter().flatten()).sum();
    let empty = series.iter().all(|s| s.values.iter().flatten().all(|v| *v == 0.0));

    let grid = (0..=5)
        .map(|k| {
            let v = top * k as f64 / 5.0;
            let gy = y(v);
            view! {
                <line class="grid" x1=LEFT x2=WIDTH - RIGHT y1=gy y2=gy />
                <text class="tick" x=LEFT - 6.0 y=gy + 4.0 text-anchor="end">{unit.format(v)}</text>
            }
        })
        .collect_view();

    let step = n.div_ceil(MAX_LABELS);
    let x_labels = labels
        .iter()
        .enumerate()
        .filter(|(i, _)| i % step == 0)
        .map(|(i, label)| {
            view! {
                <text class="tick" x=x_mid(i) y=HEIGHT - BOTTOM + 16.0 text-anchor="middle">{label.clone()}</text>
            }
        })
        .collect_view();

    let mut base = vec![0.0; n];
    let mut bar_views = Vec::new();
    let mut line_views = Vec::new();
    for (k, s) in series.iter().enumerate() {
        let class = format!("s{}", k % 6);
        match s.mark {
            Mark::Bars => {
                for (i, v) in s.values.iter().enumerate().take(n) {
                    let Some(v) = *v else { continue };
                    if v <= 0.0 {
                        continue;
                    }
                    let y0 = y(base[i]);
                    let y1 = y(base[i] + v);
                    base[i] += v;
                    let note = s.notes.as_ref().and_then(|n| n.get(i)).cloned().unwrap_or_default();
                    let hover = format!("{} · {}: {}{}", labels.get(i).cloned().unwrap_or_default(), s.name, unit.exact(v), note);
                    bar_views.push(view! {
                        <rect class=format!("bar {class}") x=LEFT + i as f64 * band_w + band_w * 0.12
                              y=y1 width=band_w * 0.76 height=(y0 - y1).max(0.5)>
                            <title>{hover}</title>
                        </rect>
                    }.into_any());
                }
            }
            Mark::Line => {
                if let Some(band) = &s.band {
                    let upper: Vec<(f64, f64)> = band.iter().enumerate().take(n)
                        .filter_map(|(i, b)| b.map(|(_, hi)| (x_mid(i), y(hi)))).collect();
                    let lower: Vec<(f64, f64)> = band.iter().enumerate().take(n)
                        .filter_map(|(i, b)| b.map(|(lo, _)| (x_mid(i), y(lo)))).collect();
                    if upper.len() > 1 {
                        let points = upper.iter().chain(lower.iter().rev())
                            .map(|(px, py)| format!("{px:.1},{py:.1}"))
                            .collect::<Vec<_>>()
                            .join(" ");
                        line_views.push(view! { <polygon class=format!("band {class}") points=points /> }.into_any());
                    }
                }
                // One path with a move at every gap.
                let mut d = String::new();
                let mut pen_down = false;
                for (i, v) in s.values.iter().enumerate().take(n) {
                    match v {
                        Some(v) => {
                            let cmd = if pen_down { 'L' } else { 'M' };
                            d.push_str(&format!("{cmd}{:.1},{:.1} ", x_mid(i), y(*v)));
                            pen_down = true;
                        }
                        None => pen_down = false,
                    }
                }
                line_views.push(view! { <path class=format!("line {class}") d=d /> }.into_any());
                for (i, v) in s.values.iter().enumerate().take(n) {
                    let Some(v) = *v else { continue };
                    let note = s.notes.as_ref().and_then(|n| n.get(i)).cloned().unwrap_or_default();
                    let hover = format!("{} · {}: {}{}", labels.get(i).cloned().unwrap_or_default(), s.name, unit.exact(v), note);
                    line_views.push(view! {
                        <circle class=format!("point {class}") cx=x_mid(i) cy=y(v) r=3.5>
                            <title>{hover}</title>
                        </circle>
                    }.into_any());
                }
            }
        }
    }

    let marker_view = marker.map(|(fraction, label)| {
        let mx = LEFT + fraction.clamp(0.0, 1.0) * plot_w;
        view! {
            <line class="marker" x1=mx x2=mx y1=TOP y2=TOP + plot_h />
            <text class="marker-label" x=mx + 4.0 y=TOP + 12.0>{label}</text>
        }
    });

    let legend = series
        .iter()
        .enumerate()
        .map(|(k, s)| {
            view! { <li><span class=format!("swatch s{}", k % 6) aria-hidden="true"></span>{s.name.clone()}</li> }
        })
        .collect_view();
    let label_id = format!("chart-{name}");
    let labelled_by = label_id.clone();

    view! {
        <figure class="chart" data-chart=name data-total=format!("{total}")>
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-labelledby=labelled_by>
                <title id=label_id>{caption}</title>
                {grid}
                {x_labels}
                {bar_views}
                {line_views}
                {marker_view}
                {empty.then(|| view! {
                    <text class="empty" x=LEFT + plot_w / 2.0 y=TOP + plot_h / 2.0 text-anchor="middle">"No data in this range"</text>
                })}
            </svg>
            <ul class="legend">{legend}</ul>
        </figure>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    #[test]
    fn axis_tops_are_round_numbers_at_or_above_the_data() {
        assert_eq!(super::nice_ceiling(0.0), 1.0);
        assert_eq!(super::nice_ceiling(7.0), 10.0);
        assert_eq!(super::nice_ceiling(10.0), 10.0);
        assert_eq!(super::nice_ceiling(13.0), 20.0);
        assert_eq!(super::nice_ceiling(420.0), 500.0);
    }
}
