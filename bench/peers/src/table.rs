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
            (Some(Cell::Value { value: a, mut rounds, ok: oa }), Cell::Value { value: b, rounds: more, ok: ob }) => {
                let best = if higher_better { a.max(b) } else { a.min(b) };
                rounds.extend(more);
                Cell::Value { value: best, rounds, ok: oa && ob }
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
        let mut out = format!("| scenario | n | unit | {} | order, best first |\n", systems.join(" | "));
        out += &format!("|---|---:|---|{}---|\n", "---:|".repeat(systems.len()));
        for (scenario, cells) in &self.rows {
            let (unit, _) = unit(scenario.name);
            let values: Vec<String> = systems
                .iter()
                .map(|system| match cells.get(*system) {
                    Some(Cell::Value { value, ok, .. }) => {
                        format!("{} {}", pretty(*value), if *ok { "✓" } else { "✗" })
                    }
                    Some(Cell::Missing(why)) => format!("n/a: {why}"),
                    None => "n/a".to_string(),
                })
                .collect();
            let order = order(cells, systems, unit_better(scenario.name));
            out +=
                &format!("| {} | {} | {unit} | {} | {order} |\n", title(scenario.name), scenario.n, values.join(" | "));
        }
        out
    }
}

/// Systems whose best values are within this factor of the next one's
/// share a tier: run to run they swap places, so their order is noise.
pub const TIE: f64 = 1.25;

fn unit_better(scenario: &str) -> bool {
    unit(scenario).1
}

/// The systems of a row, best first, in tiers: `a > b ≈ c` where `b` and
/// `c` cannot be told apart: their medians over the rounds are within
/// [`TIE`] of each other, or their rounds' ranges overlap. A chain of such
/// neighbours is one tier; within a tier the systems keep the table's
/// order, so two runs print the same line unless a gap crosses the line
/// between noise and difference.
pub fn order(cells: &BTreeMap<String, Cell>, systems: &[&str], higher_better: bool) -> String {
    // (system, median, lowest, highest)
    let mut measured: Vec<(&str, f64, f64, f64)> = systems
        .iter()
        .filter_map(|system| match cells.get(*system) {
            Some(Cell::Value { rounds, .. }) if rounds.iter().all(|v| v.is_finite() && *v > 0.0) => {
                let mut sorted = rounds.clone();
                sorted.sort_by(f64::total_cmp);
                let (&lo, &hi) = (sorted.first()?, sorted.last()?);
                Some((*system, sorted[sorted.len() / 2], lo, hi))
            }
            _ => None,
        })
        .collect();
    // Best first.
    measured.sort_by(|a, b| if higher_better { b.1.total_cmp(&a.1) } else { a.1.total_cmp(&b.1) });
    let mut tiers: Vec<Vec<(&str, f64, f64, f64)>> = Vec::new();
    for entry @ (_, median, lo, hi) in measured {
        let joins = tiers.last().is_some_and(|tier| {
            tier.iter().any(|(_, m, l, h)| median.max(*m) / median.min(*m) <= TIE || (lo <= *h && *l <= hi))
        });
        match tiers.last_mut() {
            Some(tier) if joins => tier.push(entry),
            _ => tiers.push(vec![entry]),
        }
    }
    tiers
        .into_iter()
        .map(|mut tier| {
            tier.sort_by_key(|(system, ..)| systems.iter().position(|s| s == system));
            tier.iter().map(|(system, ..)| *system).collect::<Vec<_>>().join(" ≈ ")
        })
        .collect::<Vec<_>>()
        .join(" > ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(values: &[(&str, f64)]) -> BTreeMap<String, Cell> {
        values.iter().map(|(s, v)| (s.to_string(), Cell::Value { value: *v, rounds: vec![*v], ok: true })).collect()
    }

    #[test]
    fn near_ties_share_a_tier_in_the_tables_order() {
        let systems = ["library", "floor", "ractor", "kameo"];
        let row = cells(&[("library", 2.0), ("floor", 1.0), ("ractor", 9.0), ("kameo", 8.0)]);
        assert_eq!(order(&row, &systems, false), "floor > library > ractor ≈ kameo");
        // The same with the tied pair swapped: the same line.
        let row = cells(&[("library", 2.0), ("floor", 1.0), ("ractor", 8.0), ("kameo", 9.0)]);
        assert_eq!(order(&row, &systems, false), "floor > library > ractor ≈ kameo");
        assert_eq!(order(&row, &systems, true), "ractor ≈ kameo > library > floor");
        // Rounds that overlap are a tie however far apart the best ones are.
        let mut row = cells(&[("library", 2.0), ("floor", 1.0)]);
        row.insert("library".into(), Cell::Value { value: 2.0, rounds: vec![2.0, 2.5, 2.6], ok: true });
        row.insert("floor".into(), Cell::Value { value: 1.0, rounds: vec![1.0, 1.1, 2.2], ok: true });
        assert_eq!(order(&row, &systems, false), "library ≈ floor");
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
