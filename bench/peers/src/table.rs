//! The results: best value per cell over the rounds, and the Markdown table.

use std::collections::BTreeMap;

use crate::{Cell, Scenario};

/// Each scenario's unit and whether more is better.
pub fn unit(scenario: &str) -> (&'static str, bool) {
    match scenario {
        "S1" => ("restarts/s", true),
        "S1b" => ("µs", false),
        "S2mem" => ("bytes/child", false),
        _ => ("ms", false),
    }
}

/// What each scenario is, for the table and the chart.
pub fn title(scenario: &str) -> &'static str {
    match scenario {
        "S1" => "S1 restart throughput",
        "S1b" => "S1b restart latency (median)",
        "S2" => "S2 start",
        "S3" => "S3 stop, each child asked",
        "S2mem" => "S2 memory",
        "S4" => "S4 one_for_all restart (median)",
        _ => "?",
    }
}

#[derive(Default)]
pub struct Results {
    /// (scenario, n) in first-seen order, then each system's best cell.
    rows: Vec<(Scenario, BTreeMap<String, Cell>)>,
}

impl Results {
    pub fn add(&mut self, scenario: Scenario, system: &str, cell: Cell) {
        let index = match self.rows.iter().position(|(s, _)| s.name == scenario.name && s.n == scenario.n) {
            Some(i) => i,
            None => {
                self.rows.push((scenario, BTreeMap::new()));
                self.rows.len() - 1
            }
        };
        let higher_better = unit(scenario.name).1;
        let cells = &mut self.rows[index].1;
        let merged = match (cells.remove(system), cell) {
            (None, cell) => cell,
            (Some(Cell::Value { value: a, ok: oa }), Cell::Value { value: b, ok: ob }) => {
                let best = if higher_better { a.max(b) } else { a.min(b) };
                Cell::Value { value: best, ok: oa && ob }
            }
            (Some(Cell::Missing(why)), _) | (_, Cell::Missing(why)) => Cell::Missing(why),
        };
        cells.insert(system.to_string(), merged);
    }

    pub fn rows(&self) -> &[(Scenario, BTreeMap<String, Cell>)] {
        &self.rows
    }

    /// One row per scenario, one column per system; a failed check is
    /// marked ✗, a missing scenario says why.
    pub fn markdown(&self, systems: &[&str]) -> String {
        let mut out = format!("| scenario | n | unit | {} |\n", systems.join(" | "));
        out += &format!("|---|---:|---|{}\n", "---:|".repeat(systems.len()));
        for (scenario, cells) in &self.rows {
            let (unit, _) = unit(scenario.name);
            let values: Vec<String> = systems
                .iter()
                .map(|system| match cells.get(*system) {
                    Some(Cell::Value { value, ok }) => format!("{} {}", pretty(*value), if *ok { "✓" } else { "✗" }),
                    Some(Cell::Missing(why)) => format!("n/a: {why}"),
                    None => "n/a".to_string(),
                })
                .collect();
            out += &format!("| {} | {} | {unit} | {} |\n", title(scenario.name), scenario.n, values.join(" | "));
        }
        out
    }
}

/// Three significant figures.
pub fn pretty(value: f64) -> String {
    if value >= 1000.0 {
        format!("{:.0}", value)
    } else if value >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.3}")
    }
}
