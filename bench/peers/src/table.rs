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

    /// Every round's figure, one line each, for anyone who wants to check
    /// the order's tiers: `scenario,n,system,round,value`.
    pub fn csv(&self, systems: &[&str]) -> String {
        let mut out = String::from("scenario,n,system,round,value\n");
        for (scenario, cells) in &self.rows {
            for system in systems {
                if let Some(Cell::Value { rounds, .. }) = cells.get(*system) {
                    for (round, value) in rounds.iter().enumerate() {
                        out += &format!("{},{},{system},{},{value}\n", scenario.name, scenario.n, round + 1);
                    }
                }
            }
        }
        out
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

/// Systems whose figures are within this factor of each other share a
/// tier. Over the first six runs on the 2-core machine of BENCHMARKS.md,
/// no two systems' best rounds were between 1.17x and 1.23x apart in any
/// row, while a pair's ratio moved by a tenth or more from run to run on
/// either side; the line sits in that gap (which later runs narrowed: the
/// floor's and the library's S3 of 100,000 came to 1.203x).
pub const TIE: f64 = 1.2;

fn unit_better(scenario: &str) -> bool {
    unit(scenario).1
}

/// The systems of a row, best first, in tiers: `a > b ≈ c` where `b`'s and
/// `c`'s figures are within [`TIE`] of each other. A system joins the tier
/// above it when it is within [`TIE`] of any of its members; within a tier
/// the systems keep the table's order, so two runs print the same line
/// unless a gap crosses [`TIE`].
///
/// The figures are the row's own, each system's best round: the machine's
/// load only ever slows a round down, and over many rounds each system
/// meets the machine at its quietest at least once, which the median of
/// the rounds, swayed by minutes of a busy host, does not.
pub fn order(cells: &BTreeMap<String, Cell>, systems: &[&str], higher_better: bool) -> String {
    let mut measured: Vec<(&str, f64)> = systems
        .iter()
        .filter_map(|system| match cells.get(*system) {
            Some(Cell::Value { value, .. }) if value.is_finite() && *value > 0.0 => Some((*system, *value)),
            _ => None,
        })
        .collect();
    measured.sort_by(|a, b| if higher_better { b.1.total_cmp(&a.1) } else { a.1.total_cmp(&b.1) });
    let mut tiers: Vec<Vec<(&str, f64)>> = Vec::new();
    for entry in measured {
        let near = |member: &(&str, f64)| member.1.max(entry.1) / member.1.min(entry.1) <= TIE;
        match tiers.last_mut() {
            Some(tier) if tier.iter().any(near) => tier.push(entry),
            _ => tiers.push(vec![entry]),
        }
    }
    tiers
        .into_iter()
        .map(|mut tier| {
            tier.sort_by_key(|(system, _)| systems.iter().position(|s| s == system));
            tier.iter().map(|(system, _)| *system).collect::<Vec<_>>().join(" ≈ ")
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

    fn cells(values: &[(&str, f64)]) -> BTreeMap<String, Cell> {
        values
            .iter()
            .map(|(s, v)| (s.to_string(), Cell::Value { value: *v, rounds: vec![*v, 2.0 * v], ok: true }))
            .collect()
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
        // A fifth apart is still a tie; a little more is not.
        let row = cells(&[("library", 1.0), ("floor", 1.2)]);
        assert_eq!(order(&row, &systems, false), "library ≈ floor");
        let row = cells(&[("library", 1.0), ("floor", 1.21)]);
        assert_eq!(order(&row, &systems, false), "library > floor");
    }

    #[test]
    fn a_tier_chains_through_any_of_its_members() {
        let systems = ["library", "floor", "ractor", "kameo"];
        // ractor is 1.15x floor's, kameo 1.15x ractor's: one tier, though
        // kameo is 1.32x floor's; library stands apart from all three.
        let row = cells(&[("library", 1.0), ("floor", 10.0), ("ractor", 11.5), ("kameo", 13.225)]);
        assert_eq!(order(&row, &systems, false), "library > floor ≈ ractor ≈ kameo");
        // A system with no figure (none measured, or not a number) has no
        // place.
        let mut row = cells(&[("library", 1.0), ("floor", 3.0)]);
        row.insert("kameo".into(), Cell::Missing("cannot".into()));
        row.insert("ractor".into(), Cell::Value { value: f64::NAN, rounds: vec![], ok: false });
        assert_eq!(order(&row, &systems, false), "library > floor");
    }

    #[test]
    fn the_order_follows_the_best_round_not_the_typical_one() {
        let systems = ["library", "floor"];
        let mut results = Results::default();
        let scenario = Scenario { name: "S1b", n: 10 };
        // library's rounds are mostly slow but its best is floor's best.
        for (library, floor) in [(5.0, 1.1), (1.0, 1.2), (5.0, 1.0), (6.0, 1.1)] {
            let round = |v: f64| Cell::Value { value: v, rounds: vec![v], ok: true };
            results.add(scenario, "library", round(library));
            results.add(scenario, "floor", round(floor));
        }
        let (_, cells) = &results.rows()[0];
        assert_eq!(order(cells, &systems, false), "library ≈ floor");
        let csv = results.csv(&systems);
        assert_eq!(csv.lines().count(), 1 + 8, "{csv}");
        assert!(csv.contains("S1b,10,library,3,5\n"), "{csv}");
    }
}
