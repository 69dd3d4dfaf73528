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

/// Systems whose medians are within this factor of each other share a
/// tier. On the 2-core machine of BENCHMARKS.md the ratios of neighbouring
/// systems' medians, over many runs, fall below 1.25 (peers that this
/// machine cannot tell apart) or above 1.4; a third sits in that gap, as far
/// from both as it can, so a run's noise does not carry a pair across it.
pub const TIE: f64 = 4.0 / 3.0;

fn unit_better(scenario: &str) -> bool {
    unit(scenario).1
}

/// One system's rounds, summed up for the order: the median and the range
/// of the rounds left once a quarter is set aside at each end (the second
/// to the fourth of 5, the fourth to the twelfth of 15), which one stray
/// round cannot stretch.
struct Spread<'a> {
    system: &'a str,
    median: f64,
    low: f64,
    high: f64,
}

impl<'a> Spread<'a> {
    fn of(system: &'a str, rounds: &[f64]) -> Option<Self> {
        if rounds.is_empty() || !rounds.iter().all(|v| v.is_finite() && *v > 0.0) {
            return None;
        }
        let mut sorted = rounds.to_vec();
        sorted.sort_by(f64::total_cmp);
        let quarter = sorted.len() / 4;
        let (low, high) = (sorted[quarter], sorted[sorted.len() - 1 - quarter]);
        Some(Spread { system, median: sorted[sorted.len() / 2], low, high })
    }

    /// Whether this machine cannot tell the two apart: medians within
    /// [`TIE`], or middle halves that overlap.
    fn ties(&self, other: &Spread) -> bool {
        self.median.max(other.median) / self.median.min(other.median) <= TIE
            || (self.low <= other.high && other.low <= self.high)
    }
}

/// The systems of a row, best first, in tiers: `a > b ≈ c` where `b` and
/// `c` cannot be told apart ([`Spread::ties`]). A chain of such neighbours
/// is one tier; within a tier the systems keep the table's order, so two
/// runs print the same line unless a gap crosses the line between noise
/// and difference.
pub fn order(cells: &BTreeMap<String, Cell>, systems: &[&str], higher_better: bool) -> String {
    let mut measured: Vec<Spread> = systems
        .iter()
        .filter_map(|system| match cells.get(*system) {
            Some(Cell::Value { rounds, .. }) => Spread::of(system, rounds),
            _ => None,
        })
        .collect();
    // Best first.
    measured.sort_by(|a, b| if higher_better { b.median.total_cmp(&a.median) } else { a.median.total_cmp(&b.median) });
    let mut tiers: Vec<Vec<Spread>> = Vec::new();
    for entry in measured {
        match tiers.last_mut() {
            Some(tier) if tier.iter().any(|member| member.ties(&entry)) => tier.push(entry),
            _ => tiers.push(vec![entry]),
        }
    }
    tiers
        .into_iter()
        .map(|mut tier| {
            tier.sort_by_key(|spread| systems.iter().position(|s| *s == spread.system));
            tier.iter().map(|spread| spread.system).collect::<Vec<_>>().join(" ≈ ")
        })
        .collect::<Vec<_>>()
        .join(" > ")
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

#[cfg(test)]
mod tests {
    use super::*;

    fn rounds(values: &[f64]) -> Cell {
        Cell::Value { value: values[0], rounds: values.to_vec(), ok: true }
    }

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
        // Middle halves that overlap are a tie however far apart the
        // medians are...
        let mut row = BTreeMap::new();
        row.insert("library".into(), rounds(&[2.0, 2.1, 2.2, 2.5, 2.6]));
        row.insert("floor".into(), rounds(&[1.0, 1.1, 1.2, 2.2, 2.3]));
        assert_eq!(order(&row, &systems, false), "library ≈ floor");
        // ...but one stray round does not make one.
        row.insert("floor".into(), rounds(&[1.0, 1.1, 1.2, 1.3, 9.0]));
        assert_eq!(order(&row, &systems, false), "floor > library");
        // A third apart is still a tie; a little more is not.
        let row = cells(&[("library", 1.0), ("floor", 4.0 / 3.0)]);
        assert_eq!(order(&row, &systems, false), "library ≈ floor");
        let row = cells(&[("library", 1.0), ("floor", 1.34)]);
        assert_eq!(order(&row, &systems, false), "library > floor");
    }
}
