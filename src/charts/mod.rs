//! Charts as PNG bytes (plotters, drawn in memory; the font ships in the binary so that a machine
//! without fonts draws the same picture): `/stats` answers per day stacked by kind, and a
//! conversation `/cost` estimate's monthly API cost against conversations a day with the plan's
//! price and the crossover marked.

use std::sync::Once;

use plotters::prelude::*;
use plotters::style::FontStyle;
use rust_decimal::prelude::ToPrimitive;

use crate::analytics::Stats;
use crate::cost::ConversationReport;

const FONT: &[u8] = include_bytes!("DejaVuSans.ttf");
const SIZE: (u32, u32) = (800, 450);
const KINDS: &[(&str, &str, RGBColor)] = &[
    ("feature", "feature", RGBColor(46, 125, 50)),
    ("search", "search", RGBColor(21, 101, 192)),
    ("out_of_scope", "out of scope", RGBColor(198, 40, 40)),
];

#[derive(Debug, thiserror::Error)]
#[error("could not draw the chart: {0}")]
pub struct ChartError(String);

fn err(e: impl std::fmt::Display) -> ChartError {
    ChartError(e.to_string())
}

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bytes are a valid font (a test draws with them); a failure would only lose labels.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// Draws into an RGB buffer, then encodes it as PNG.
fn png(
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>) -> Result<(), ChartError>,
) -> Result<Vec<u8>, ChartError> {
    register_font();
    let (w, h) = SIZE;
    let mut rgb = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        draw(&root)?;
        root.present().map_err(err)?;
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().map_err(err)?;
        writer.write_image_data(&rgb).map_err(err)?;
    }
    Ok(out)
}

/// The `days` days up to today (UTC), oldest first, as `YYYY-MM-DD`.
fn last_days(days: u32) -> Vec<String> {
    let today = chrono::Utc::now().date_naive();
    (0..i64::from(days.clamp(1, 366))).rev().map(|back| (today - chrono::Duration::days(back)).to_string()).collect()
}

/// The series' labels, in the upper left corner: both charts draw them alike.
fn legend<'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, BitMapBackend<'a>, CT>,
) -> Result<(), ChartError> {
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .map_err(err)
}

/// Answers per day, stacked by kind (every day of the window, empty ones too), with the helpful
/// ratio in the title.
pub fn stats(s: &Stats) -> Result<Vec<u8>, ChartError> {
    let mut days = last_days(s.days);
    // Days recorded outside the window (a clock change) still show.
    for d in &s.per_day {
        if !days.contains(&d.day) {
            days.push(d.day.clone());
        }
    }
    days.sort();
    let counts = |day: &str, kind: &str| -> u64 {
        s.per_day.iter().filter(|d| d.day == day && d.kind == kind).map(|d| d.count).sum()
    };
    let max = days.iter().map(|d| KINDS.iter().map(|(k, _, _)| counts(d, k)).sum::<u64>()).max().unwrap_or(0).max(1);
    let helpful = match s.helpful_ratio {
        Some(r) => format!("{:.0}% helpful of {} votes", r * 100.0, s.helpful + s.unhelpful),
        None => "no votes yet".to_owned(),
    };
    png(|root| {
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!("Answers per day, {} ({helpful})", crate::render::last_days(s.days.into())),
                ("sans-serif", 22),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(0f64..days.len().max(1) as f64, 0..(max + max / 10 + 1))
            .map_err(err)?;
        let label_every = days.len().div_ceil(8).max(1);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(days.len().clamp(1, 60))
            .x_label_formatter(&|x| {
                let i = x.floor() as usize;
                // Every few days, and always the last (today's) bar.
                let shown = i.is_multiple_of(label_every) || i + 1 == days.len();
                if shown && (x - i as f64).abs() < 1e-9 {
                    days.get(i).map(|d| d[5..].to_owned()).unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_desc("answers")
            .label_style(("sans-serif", 14))
            .draw()
            .map_err(err)?;
        for (ki, (kind, label, color)) in KINDS.iter().enumerate() {
            let bars: Vec<Rectangle<(f64, u64)>> = days
                .iter()
                .enumerate()
                .filter_map(|(i, d)| {
                    let below: u64 = KINDS[..ki].iter().map(|(k, _, _)| counts(d, k)).sum();
                    let n = counts(d, kind);
                    let x = i as f64;
                    (n > 0).then(|| Rectangle::new([(x + 0.1, below), (x + 0.9, below + n)], color.filled()))
                })
                .collect();
            chart
                .draw_series(bars)
                .map_err(err)?
                .label(*label)
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], color.filled()));
        }
        legend(&mut chart)
    })
}

/// Monthly API cost against conversations a day for the report's habit, the plan's price as a line,
/// the crossover and the habit asked about marked.
pub fn conversation_cost(r: &ConversationReport) -> Result<Vec<u8>, ChartError> {
    let per_month = r.usd_per_month.to_f64().unwrap_or(0.0);
    let asked = r.conversations_per_day as f64;
    let slope = if asked > 0.0 { per_month / asked } else { 0.0 };
    let plan = r.plan_usd_per_month.to_f64().unwrap_or(0.0);
    let crossover = r.crossover_conversations_per_day.and_then(|c| c.to_f64());
    let x_max = (asked.max(crossover.unwrap_or(0.0)) * 1.5).max(10.0);
    let y_max = (slope * x_max).max(plan * 1.5).max(1.0);
    png(|root| {
        let mut chart = ChartBuilder::on(root)
            .caption(format!("{}: monthly API cost vs {}", r.model, r.plan), ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..x_max, 0.0..y_max)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc(format!(
                "conversations a day ({} turns, {}+{} tokens a turn)",
                r.turns, r.user_tokens, r.reply_tokens
            ))
            .y_desc("USD a month")
            .y_label_formatter(&|y| format!("${y:.0}"))
            .x_label_formatter(&|x| format!("{x:.0}"))
            .label_style(("sans-serif", 14))
            .draw()
            .map_err(err)?;
        let blue = RGBColor(21, 101, 192);
        chart
            .draw_series(LineSeries::new([(0.0, 0.0), (x_max, slope * x_max)], blue.stroke_width(3)))
            .map_err(err)?
            .label("API, pay per use")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], blue.stroke_width(3)));
        let orange = RGBColor(239, 108, 0);
        chart
            .draw_series(LineSeries::new([(0.0, plan), (x_max, plan)], orange.stroke_width(3)))
            .map_err(err)?
            .label(format!("{} ${plan:.0}/month", r.plan))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], orange.stroke_width(3)));
        if let Some(c) = crossover.filter(|c| *c <= x_max) {
            chart.draw_series([Circle::new((c, plan), 7, BLACK.filled())]).map_err(err)?;
            chart
                .draw_series([Text::new(
                    format!("same cost at {c:.1} a day"),
                    (c, plan + y_max * 0.05),
                    ("sans-serif", 16).into_font().color(&BLACK),
                )])
                .map_err(err)?;
        }
        chart.draw_series([Circle::new((asked, per_month), 6, blue.filled())]).map_err(err)?;
        chart
            .draw_series([Text::new(
                format!("you: {asked:.0} a day = ${per_month:.2}"),
                (asked, (per_month - y_max * 0.08).max(y_max * 0.02)),
                ("sans-serif", 15).into_font().color(&blue),
            )])
            .map_err(err)?;
        legend(&mut chart)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::{DayCount, Health};

    fn is_png(b: &[u8]) -> bool {
        b.starts_with(b"\x89PNG\r\n\x1a\n")
    }

    fn decoded(b: &[u8]) -> (u32, u32, Vec<u8>) {
        let dec = png::Decoder::new(std::io::Cursor::new(b));
        let mut r = dec.read_info().unwrap();
        let mut buf = vec![0; r.output_buffer_size()];
        let info = r.next_frame(&mut buf).unwrap();
        (info.width, info.height, buf)
    }

    #[test]
    fn stats_chart_draws_bars_in_each_kind_colour() {
        let s = Stats {
            days: 3,
            answers: 9,
            per_day: vec![
                DayCount { day: "2026-12-01".into(), kind: "feature".into(), count: 5 },
                DayCount { day: "2026-12-01".into(), kind: "out_of_scope".into(), count: 2 },
                DayCount { day: "2026-12-02".into(), kind: "search".into(), count: 2 },
            ],
            top_features: vec![],
            helpful: 3,
            unhelpful: 1,
            helpful_ratio: Some(0.75),
            escalated: 0,
            escalations_resolved: 0,
            latency_p50_ms: None,
            latency_p99_ms: None,
            health: Health::default(),
        };
        let b = stats(&s).unwrap();
        assert!(is_png(&b));
        let (w, h, px) = decoded(&b);
        assert_eq!((w, h), SIZE);
        let has = |c: RGBColor| px.chunks(3).any(|p| p == [c.0, c.1, c.2]);
        for (_, _, c) in KINDS {
            assert!(has(*c), "a bar of {c:?}");
        }
        // Text was drawn: some dark grey anti-aliased pixels that are none of the bar colours.
        assert!(px.chunks(3).filter(|p| p[0] < 100 && p[0] == p[1] && p[1] == p[2]).count() > 500);
    }
}
