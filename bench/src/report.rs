//! One line per scenario, then a Markdown table.

use std::time::Duration;

#[derive(Clone, Copy)]
pub(crate) enum Better {
    Higher,
    Lower,
}

pub(crate) struct Row {
    scenario: &'static str,
    n: usize,
    library: f64,
    floor: f64,
    unit: &'static str,
    better: Better,
}

impl Row {
    pub(crate) fn new(
        scenario: &'static str,
        n: usize,
        library: f64,
        floor: f64,
        unit: &'static str,
        better: Better,
    ) -> Row {
        Row { scenario, n, library, floor, unit, better }
    }

    pub(crate) fn throughput(scenario: &'static str, n: usize, library: f64, floor: f64, unit: &'static str) -> Row {
        Row::new(scenario, n, library, floor, unit, Better::Higher)
    }

    pub(crate) fn time(scenario: &'static str, n: usize, library: Duration, floor: Duration) -> Row {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        Row::new(scenario, n, ms(library), ms(floor), "ms", Better::Lower)
    }

    pub(crate) fn micros(scenario: &'static str, n: usize, library: Duration, floor: Duration) -> Row {
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        Row::new(scenario, n, us(library), us(floor), "us", Better::Lower)
    }

    fn ratio(&self) -> f64 {
        self.library / self.floor
    }

    pub(crate) fn line(&self) -> String {
        format!(
            "scenario={} n={} library={:.3} floor={:.3} unit={} ratio={:.3}",
            self.scenario,
            self.n,
            self.library,
            self.floor,
            self.unit,
            self.ratio()
        )
    }
}

pub(crate) fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| scenario | n | library | floor | unit | library/floor | better |\n|---|---:|---:|---:|---|---:|---|\n",
    );
    for row in rows {
        let better = match row.better {
            Better::Higher => "higher",
            Better::Lower => "lower",
        };
        out.push_str(&format!(
            "| {} | {} | {:.3} | {:.3} | {} | {:.3} | {} |\n",
            row.scenario,
            row.n,
            row.library,
            row.floor,
            row.unit,
            row.ratio(),
            better
        ));
    }
    out
}
