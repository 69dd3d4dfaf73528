//! The chart: one panel per scenario, a bar per system, on a log scale
//! where the values spread over more than a factor of 20. SVG, drawn by
//! plotters, no browser needed.

use std::path::Path;

use plotters::prelude::*;

use crate::Cell;
use crate::table::{Results, pretty, title, unit};

const COLOURS: [RGBColor; 6] = [
    RGBColor(46, 157, 87),
    RGBColor(138, 143, 152),
    RGBColor(224, 108, 0),
    RGBColor(123, 92, 214),
    RGBColor(0, 120, 190),
    RGBColor(190, 60, 90),
];

pub fn draw(
    results: &Results,
    systems: &[&str],
    path: &Path,
    machine: &str,
    rounds: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let rows = results.rows();
    let columns = 2;
    let lines = rows.len().div_ceil(columns);
    let root = SVGBackend::new(path, (1100, 60 + 230 * lines as u32)).into_drawing_area();
    root.fill(&WHITE)?;
    let (head, body) = root.split_vertically(60);
    head.draw_text(
        &format!("This library, the raw-tokio floor and its peers ({rounds}; ✗: a check failed)"),
        &("sans-serif", 18).into_text_style(&head),
        (10, 8),
    )?;
    head.draw_text(machine, &("sans-serif", 13).into_text_style(&head).color(&RGBColor(90, 90, 90)), (10, 34))?;
    for (area, (scenario, cells)) in body.split_evenly((lines, columns)).iter().zip(rows) {
        let (unit, higher) = unit(scenario.name);
        let bars: Vec<(usize, &str, f64, bool)> = systems
            .iter()
            .enumerate()
            .filter_map(|(i, system)| match cells.get(*system) {
                Some(Cell::Value { value, ok, .. }) if value.is_finite() && *value > 0.0 => {
                    Some((i, *system, *value, *ok))
                }
                _ => None,
            })
            .collect();
        let missing: Vec<&str> = systems.iter().copied().filter(|s| !bars.iter().any(|(_, b, _, _)| b == s)).collect();
        let (min, max) = bars.iter().fold((f64::MAX, 0.0_f64), |(lo, hi), (_, _, v, _)| (lo.min(*v), hi.max(*v)));
        let log = !bars.is_empty() && max / min > 20.0;
        let x = |v: f64| if log { v.log10() } else { v };
        let (x0, x1) = if log { (x(min) - 0.3, x(max) + 0.3) } else { (0.0, max * 1.15) };
        let better = if higher { "higher is better" } else { "lower is better" };
        let caption = format!(
            "{} (n = {}): {unit}, {better}{}",
            title(scenario.name),
            scenario.n,
            if log { ", log scale" } else { "" }
        );
        let mut chart = ChartBuilder::on(area)
            .caption(caption, ("sans-serif", 14))
            .margin(10)
            .x_label_area_size(24)
            .y_label_area_size(150)
            .build_cartesian_2d(x0..x1, (0..bars.len().max(1)).into_segmented())?;
        let names: Vec<&str> = bars.iter().map(|(_, name, _, _)| *name).collect();
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_labels(5)
            .x_label_formatter(&|v| if log { pretty(10f64.powf(*v)) } else { pretty(*v) })
            .y_label_formatter(&|y| match y {
                SegmentValue::CenterOf(i) => names.get(*i).map_or(String::new(), |n| (*n).to_string()),
                _ => String::new(),
            })
            .draw()?;
        chart.draw_series(bars.iter().enumerate().map(|(row, (i, _, value, _))| {
            let colour = COLOURS[*i % COLOURS.len()];
            Rectangle::new([(x0, SegmentValue::Exact(row)), (x(*value), SegmentValue::Exact(row + 1))], colour.filled())
        }))?;
        chart.draw_series(bars.iter().enumerate().map(|(row, (_, _, value, ok))| {
            let label = format!("{}{}", pretty(*value), if *ok { "" } else { " ✗" });
            Text::new(label, (x(*value), SegmentValue::CenterOf(row)), ("sans-serif", 12))
        }))?;
        if !missing.is_empty() {
            let note = format!("cannot: {}", missing.join(", "));
            area.draw_text(
                &note,
                &("sans-serif", 11).into_text_style(area).color(&RGBColor(120, 120, 120)),
                (160, 200),
            )?;
        }
    }
    root.present()?;
    Ok(())
}
