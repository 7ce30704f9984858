//! Small inline-SVG charts for `latency.html`: a line chart (several series over one x axis)
//! and a bar chart, each with axes, round ticks, axis labels, a legend and a `<title>`.
//! No script and no reference to anything outside the page (inline SVG in HTML needs no
//! `xmlns` either), so the report stays self-contained.
//!
//! The template inserts these strings as they are, so every text written here is escaped
//! here; and every coordinate is finite: non-finite data are never drawn, and an empty or
//! flat range still gets a scale of positive height.

use std::fmt::Write;

use smartcheck_common::html::escape;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 280.0;
/// Room for the y tick labels and the rotated y axis label.
const LEFT: f64 = 72.0;
const RIGHT: f64 = 16.0;
/// Room for the title and the legend.
const TOP: f64 = 48.0;
/// Room for the x tick labels and the x axis label.
const BOTTOM: f64 = 46.0;
const AXIS: &str = "#556";
const GRID: &str = "#e3e6ea";
const INK: &str = "#1b2733";

/// One line of a line chart.
pub struct Series {
    pub name: String,
    /// A CSS colour.
    pub color: &'static str,
    pub dashed: bool,
    /// `(x, y)` points in x order; a non-finite y breaks the line (a second without
    /// requests has no latency, and drawing it as zero would lie).
    pub points: Vec<(f64, f64)>,
}

/// Several series over one x axis; the y axis starts at zero.
pub struct LineChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    /// The smallest x tick step (1 for whole seconds).
    pub x_min_step: f64,
    /// The smallest y tick step (1 for counts, 0 for none).
    pub y_min_step: f64,
    pub series: Vec<Series>,
}

/// One bar of a bar chart.
pub struct Bar {
    /// Under the bar (thinned out when bars are narrow).
    pub label: String,
    pub value: f64,
    /// Shown on hover.
    pub tip: String,
}

/// Bars side by side, in order; the y axis starts at zero.
pub struct BarChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub color: &'static str,
    /// The smallest y tick step (1 for counts, 0 for none).
    pub y_min_step: f64,
    pub bars: Vec<Bar>,
}

/// An axis range with round tick values (1, 2 or 5 times a power of ten).
#[derive(Debug, Clone, PartialEq)]
pub struct Scale {
    pub min: f64,
    pub max: f64,
    pub step: f64,
}

impl Scale {
    /// A range covering `lo..=hi` in about `target` round steps; never empty, always finite.
    pub fn nice(lo: f64, hi: f64, target: usize, min_step: f64) -> Scale {
        let (lo, mut hi) = if lo.is_finite() && hi.is_finite() {
            (lo.min(hi), lo.max(hi))
        } else {
            (0.0, 1.0)
        };
        if hi <= lo {
            hi = lo + lo.abs().max(1.0);
        }
        let step = nice_step((hi - lo) / target.max(1) as f64).max(min_step);
        let scale = Scale {
            min: (lo / step).floor() * step,
            max: (hi / step).ceil() * step,
            step,
        };
        let usable = [scale.min, scale.max, scale.step]
            .iter()
            .all(|v| v.is_finite())
            && scale.max > scale.min
            && scale.step > 0.0;
        if usable {
            scale
        } else {
            Scale {
                min: 0.0,
                max: 1.0,
                step: 0.2,
            }
        }
    }

    /// The tick values from `min` to `max` (at most 51).
    pub fn ticks(&self) -> Vec<f64> {
        let n = ((self.max - self.min) / self.step).round().clamp(1.0, 50.0) as usize;
        (0..=n).map(|i| self.min + i as f64 * self.step).collect()
    }

    /// `v` mapped from this range onto `from..to` (pixels).
    fn at(&self, v: f64, from: f64, to: f64) -> f64 {
        from + (v - self.min) / (self.max - self.min) * (to - from)
    }

    /// A tick label with as many decimals as the step needs.
    pub fn label(&self, v: f64) -> String {
        let decimals = if self.step >= 1.0 {
            0
        } else {
            (-self.step.log10()).ceil().clamp(0.0, 9.0) as usize
        };
        let text = format!("{v:.decimals$}");
        // `-0` reads as a glitch.
        if text
            .trim_start_matches('-')
            .chars()
            .all(|c| c == '0' || c == '.')
        {
            text.trim_start_matches('-').to_string()
        } else {
            text
        }
    }
}

/// 1, 2, 5 or 10 times the power of ten at or below `raw`.
fn nice_step(raw: f64) -> f64 {
    if !raw.is_finite() || raw <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    let f = raw / magnitude;
    let m = match f {
        f if f <= 1.0 => 1.0,
        f if f <= 2.0 => 2.0,
        f if f <= 5.0 => 5.0,
        _ => 10.0,
    };
    m * magnitude
}

/// A bound for a label: two significant digits, no trailing zeros (0.16, 2.5, 63, 160, 1000).
pub fn short(v: f64) -> String {
    if !v.is_finite() || v <= 0.0 {
        return "0".into();
    }
    let e = v.log10().floor();
    let unit = 10f64.powf(e - 1.0);
    let rounded = (v / unit).round() * unit;
    let decimals = (1.0 - rounded.log10().floor()).max(0.0) as usize;
    let text = format!("{rounded:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').into()
    } else {
        text
    }
}

/// The plot area's pixel bounds.
const X0: f64 = LEFT;
const X1: f64 = WIDTH - RIGHT;
const Y0: f64 = HEIGHT - BOTTOM;
const Y1: f64 = TOP;
/// Line charts keep points off the y axis, so a first point (or a lone one) stays visible.
const INSET: f64 = 10.0;

/// The `<svg>` opening, title, axis labels, y grid and the x axis line.
fn frame(out: &mut String, title: &str, x_label: &str, y_label: &str, y: &Scale) {
    let t = escape(title);
    let _ = write!(
        out,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{t}"><title>{t}</title>"#
    );
    let _ = write!(
        out,
        r#"<text x="{X0}" y="18" font-size="15" font-weight="600" fill="{INK}">{t}</text>"#
    );
    for v in y.ticks() {
        let py = y.at(v, Y0, Y1);
        let _ = write!(
            out,
            r#"<line x1="{X0}" y1="{py:.1}" x2="{X1}" y2="{py:.1}" stroke="{GRID}"/><text x="{:.1}" y="{:.1}" font-size="12" text-anchor="end" fill="{AXIS}">{}</text>"#,
            X0 - 6.0,
            py + 4.0,
            y.label(v)
        );
    }
    let (mid_y, mid_x) = ((Y0 + Y1) / 2.0, (X0 + X1) / 2.0);
    let _ = write!(
        out,
        r#"<line x1="{X0}" y1="{Y1}" x2="{X0}" y2="{Y0}" stroke="{AXIS}"/><line x1="{X0}" y1="{Y0}" x2="{X1}" y2="{Y0}" stroke="{AXIS}"/><text x="14" y="{mid_y}" font-size="12" text-anchor="middle" fill="{AXIS}" transform="rotate(-90 14 {mid_y})">{}</text><text x="{mid_x}" y="{}" font-size="12" text-anchor="middle" fill="{AXIS}">{}</text>"#,
        escape(y_label),
        HEIGHT - 8.0,
        escape(x_label)
    );
}

fn no_data(out: &mut String) {
    let _ = write!(
        out,
        r#"<text x="{}" y="{}" font-size="14" text-anchor="middle" fill="{AXIS}">no data</text>"#,
        (X0 + X1) / 2.0,
        (Y0 + Y1) / 2.0
    );
}

/// The line chart as an inline `<svg>` element.
pub fn line_chart(chart: &LineChart) -> String {
    let finite = |p: &&(f64, f64)| p.0.is_finite() && p.1.is_finite();
    let points = || {
        chart
            .series
            .iter()
            .flat_map(|s| s.points.iter().filter(finite))
    };
    let fold = |f: fn(f64, f64) -> f64, init: f64, pick: fn(&(f64, f64)) -> f64| {
        points().map(pick).fold(init, f)
    };
    let empty = points().next().is_none();
    let (x_lo, x_hi) = if empty {
        (0.0, 1.0)
    } else {
        (
            fold(f64::min, f64::MAX, |p| p.0),
            fold(f64::max, f64::MIN, |p| p.0),
        )
    };
    let y_lo = fold(f64::min, 0.0, |p| p.1);
    let y_hi = fold(f64::max, 0.0, |p| p.1);
    let x = Scale::nice(x_lo, x_hi, 10, chart.x_min_step);
    let y = Scale::nice(y_lo, y_hi, 5, chart.y_min_step);

    let mut out = String::new();
    frame(&mut out, &chart.title, &chart.x_label, &chart.y_label, &y);
    for v in x.ticks() {
        let px = x.at(v, X0 + INSET, X1 - INSET);
        let _ = write!(
            out,
            r#"<line x1="{px:.1}" y1="{Y0}" x2="{px:.1}" y2="{}" stroke="{AXIS}"/><text x="{px:.1}" y="{}" font-size="12" text-anchor="middle" fill="{AXIS}">{}</text>"#,
            Y0 + 4.0,
            Y0 + 17.0,
            x.label(v)
        );
    }
    let mut legend_x = X0;
    for s in &chart.series {
        let dash = if s.dashed {
            r#" stroke-dasharray="6 4""#
        } else {
            ""
        };
        let _ = write!(
            out,
            r#"<line x1="{legend_x:.1}" y1="34" x2="{:.1}" y2="34" stroke="{}" stroke-width="2.5"{dash}/><text x="{:.1}" y="39" font-size="12" fill="{INK}">{}</text>"#,
            legend_x + 20.0,
            s.color,
            legend_x + 25.0,
            escape(&s.name)
        );
        legend_x += 40.0 + 7.0 * s.name.chars().count() as f64;
    }
    if empty {
        no_data(&mut out);
    }
    for s in &chart.series {
        // Segments of consecutive finite points; an isolated point gets a dot.
        let mut d = String::new();
        let mut run: Vec<(f64, f64)> = Vec::new();
        let flush = |run: &mut Vec<(f64, f64)>, d: &mut String, out: &mut String| {
            match run.as_slice() {
                [] => {}
                [(px, py)] => {
                    let _ = write!(
                        out,
                        r#"<circle cx="{px:.1}" cy="{py:.1}" r="2.5" fill="{}"/>"#,
                        s.color
                    );
                }
                _ => {
                    for (i, (px, py)) in run.iter().enumerate() {
                        let _ = write!(d, "{}{px:.1},{py:.1}", if i == 0 { "M" } else { "L" });
                    }
                }
            }
            run.clear();
        };
        for p in &s.points {
            if finite(&p) {
                run.push((x.at(p.0, X0 + INSET, X1 - INSET), y.at(p.1, Y0, Y1)));
            } else {
                flush(&mut run, &mut d, &mut out);
            }
        }
        flush(&mut run, &mut d, &mut out);
        if !d.is_empty() {
            let dash = if s.dashed {
                r#" stroke-dasharray="6 4""#
            } else {
                ""
            };
            let _ = write!(
                out,
                r#"<path d="{d}" fill="none" stroke="{}" stroke-width="1.8" stroke-linejoin="round"{dash}/>"#,
                s.color
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// The bar chart as an inline `<svg>` element.
pub fn bar_chart(chart: &BarChart) -> String {
    let value = |b: &Bar| {
        if b.value.is_finite() {
            b.value.max(0.0)
        } else {
            0.0
        }
    };
    let top = chart.bars.iter().map(value).fold(0.0, f64::max);
    let y = Scale::nice(0.0, top, 5, chart.y_min_step);
    let mut out = String::new();
    frame(&mut out, &chart.title, &chart.x_label, &chart.y_label, &y);
    if chart.bars.is_empty() {
        no_data(&mut out);
    }
    let slot = (X1 - X0) / chart.bars.len().max(1) as f64;
    // Show every k-th label so that labels about 6 px per character never overlap.
    let widest = chart.bars.iter().map(|b| b.label.chars().count()).max();
    let every = ((widest.unwrap_or(1) as f64 * 7.0 + 4.0) / slot)
        .ceil()
        .max(1.0) as usize;
    for (i, b) in chart.bars.iter().enumerate() {
        let left = X0 + i as f64 * slot;
        let mid = left + slot / 2.0;
        let v = value(b);
        let py = y.at(v, Y0, Y1);
        let _ = write!(
            out,
            r#"<rect x="{:.1}" y="{py:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{}</title></rect>"#,
            left + slot * 0.1,
            slot * 0.8,
            Y0 - py,
            chart.color,
            escape(&b.tip)
        );
        let count = y.label(v);
        if v > 0.0 && count.len() as f64 * 6.0 <= slot {
            let _ = write!(
                out,
                r#"<text x="{mid:.1}" y="{:.1}" font-size="10" text-anchor="middle" fill="{INK}">{count}</text>"#,
                py - 3.0
            );
        }
        if i % every == 0 {
            let _ = write!(
                out,
                r#"<text x="{mid:.1}" y="{}" font-size="12" text-anchor="middle" fill="{AXIS}">{}</text>"#,
                Y0 + 16.0,
                escape(&b.label)
            );
        }
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
#[path = "svg_tests.rs"]
mod tests;
