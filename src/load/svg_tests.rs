//! Tests of the inline-SVG charts: scales, edge cases, escaping.

use super::*;

fn clean(svg: &str) {
    assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    for bad in ["NaN", "inf", "http"] {
        assert!(!svg.contains(bad), "{bad} in {svg}");
    }
}

#[test]
fn ticks_are_round_and_cover_the_data() {
    let s = Scale::nice(0.0, 87.0, 5, 0.0);
    assert_eq!((s.min, s.max, s.step), (0.0, 100.0, 20.0));
    assert_eq!(s.ticks(), [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
    let s = Scale::nice(0.0, 0.37, 5, 0.0);
    assert_eq!((s.step, s.max), (0.1, 0.4));
    assert_eq!(s.label(0.30000000000000004), "0.3");
    let s = Scale::nice(0.0, 2.0, 10, 1.0);
    assert_eq!(s.step, 1.0, "whole seconds");
    assert_eq!(Scale::nice(0.0, 1234.0, 5, 0.0).step, 500.0);
}

#[test]
fn a_flat_or_empty_range_still_has_height() {
    for (lo, hi) in [
        (0.0, 0.0),
        (5.0, 5.0),
        (f64::NAN, 1.0),
        (0.0, f64::INFINITY),
    ] {
        let s = Scale::nice(lo, hi, 5, 0.0);
        assert!(
            s.max > s.min && s.step > 0.0 && s.max.is_finite(),
            "{lo} {hi}: {s:?}"
        );
        assert!(s.ticks().len() >= 2);
    }
    assert_eq!(Scale::nice(0.0, 0.0, 5, 0.0).max, 1.0);
    assert_eq!(
        Scale::nice(0.0, 0.0, 5, 1.0).ticks(),
        [0.0, 1.0],
        "counts stay whole"
    );
    assert_eq!(
        Scale::nice(-0.0, 0.0, 5, 0.0).label(-0.0),
        "0.0",
        "never -0.0"
    );
}

#[test]
fn line_chart_draws_segments_dots_and_escapes_text() {
    let chart = LineChart {
        title: "<b>t</b>".into(),
        x_label: "s".into(),
        y_label: "ms".into(),
        x_min_step: 1.0,
        y_min_step: 0.0,
        series: vec![
            Series {
                name: "a&b".into(),
                color: "#c00",
                dashed: true,
                points: vec![(0.0, 1.0), (1.0, 2.0), (2.0, f64::NAN), (3.0, 4.0)],
            },
            Series {
                name: "zero".into(),
                color: "#00c",
                dashed: false,
                points: vec![(0.0, 0.0)],
            },
        ],
    };
    let svg = line_chart(&chart);
    clean(&svg);
    assert!(svg.contains("&lt;b&gt;t&lt;/b&gt;") && !svg.contains("<b>"));
    assert!(svg.contains("a&amp;b") && svg.contains("stroke-dasharray"));
    assert_eq!(svg.matches("<path").count(), 1);
    assert_eq!(svg.matches("<circle").count(), 2, "isolated points");
    assert!(svg.contains(r#"role="img""#) && svg.contains("<title>"));
}

#[test]
fn empty_and_all_zero_charts_render() {
    let empty = LineChart {
        title: "t".into(),
        x_label: "x".into(),
        y_label: "y".into(),
        x_min_step: 1.0,
        y_min_step: 0.0,
        series: vec![],
    };
    let svg = line_chart(&empty);
    clean(&svg);
    assert!(svg.contains("no data"));
    let bars = |values: &[f64]| BarChart {
        title: "h".into(),
        x_label: "x".into(),
        y_label: "y".into(),
        color: "#333",
        y_min_step: 1.0,
        bars: values
            .iter()
            .map(|v| Bar {
                label: "1".into(),
                value: *v,
                tip: "tip".into(),
            })
            .collect(),
    };
    clean(&bar_chart(&bars(&[])));
    clean(&bar_chart(&bars(&[0.0, 0.0])));
    let svg = bar_chart(&bars(&[3.0, f64::NAN, 12.0]));
    clean(&svg);
    assert_eq!(svg.matches("<rect").count(), 3);
    assert!(svg.contains(">12</text>"));
}

#[test]
fn bounds_read_with_two_significant_digits() {
    let shorts: Vec<String> = [
        0.1, 0.158_489, 0.631, 0.999_999, 1.584_89, 63.1, 158.49, 1000.0,
    ]
    .iter()
    .map(|v| short(*v))
    .collect();
    assert_eq!(
        shorts,
        ["0.1", "0.16", "0.63", "1", "1.6", "63", "160", "1000"]
    );
}
