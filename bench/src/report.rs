//! The tables (stdout and docs/PERFORMANCE.md), the goal check and the SVG chart.

use crate::harness::Group;
use crate::machine::Machine;
use crate::workloads::{human, Config};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::fmt::Write as _;
use std::path::Path;

/// A number with 3 significant digits (more for large ones: no exponent).
pub fn sig(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    if x == 0.0 {
        return "0".into();
    }
    let digits = x.abs().log10().floor() as i32;
    let decimals = (2 - digits).max(0) as usize;
    format!("{x:.decimals$}")
}

fn thousands(x: f64) -> String {
    let n = x.round() as u64;
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn ratio(x: f64) -> String {
    format!("{}×", sig(x))
}

/// The main table: every group, every row; ratios are throughput ratios (higher is
/// better) against the group's raw baseline and its upstream row.
pub fn main_table(groups: &[Group]) -> String {
    let mut t = String::new();
    t.push_str("| Setting | Implementation | ops/s | MB/s | vs raw | vs upstream | Notes |\n");
    t.push_str("|---|---|---:|---:|---:|---:|---|\n");
    for g in groups.iter().filter(|g| g.workload != "W7") {
        let base = g.baseline().map(|r| r.ops_per_sec());
        let up = g
            .rows
            .iter()
            .find(|r| r.imp.starts_with("upstream"))
            .map(|r| r.ops_per_sec());
        for r in &g.rows {
            let m = r.median();
            let name = if r.imp.starts_with("ironwal") {
                format!("**{}**", r.imp)
            } else {
                r.imp.clone()
            };
            let vs_raw = base.map(|b| ratio(m.ops_per_sec() / b)).unwrap_or_default();
            let vs_up = up.map(|u| ratio(m.ops_per_sec() / u)).unwrap_or_default();
            let mut note = r.note.clone();
            if r.baseline {
                note = if note.is_empty() {
                    "baseline".into()
                } else {
                    format!("baseline: {note}")
                };
            }
            let _ = writeln!(
                t,
                "| {} | {} | {} | {} | {} | {} | {} |",
                g.short,
                name,
                thousands(m.ops_per_sec()),
                sig(m.mb_per_sec()),
                vs_raw,
                vs_up,
                note
            );
        }
    }
    t.push_str("\nSettings:\n\n");
    for g in groups {
        let title = g
            .title
            .split_once(": ")
            .map_or(g.title.as_str(), |(_, rest)| rest);
        let _ = writeln!(t, "- **{}**: {}", g.short, title);
    }
    t
}

/// W7 in its own terms: open time, time ratios (lower is better), peak RSS.
pub fn w7_table(groups: &[Group]) -> String {
    let mut t = String::new();
    t.push_str("| Case | Implementation | open (ms) | time vs raw full scan | time vs upstream (Mmap) | peak RSS (MiB) | process floor (MiB) | Data |\n");
    t.push_str("|---|---|---:|---:|---:|---:|---:|---|\n");
    for g in groups.iter().filter(|g| g.workload == "W7") {
        let base = g.baseline().map(|r| r.median_secs());
        let up = g.row("upstream (Mmap)").map(|r| r.median_secs());
        for r in &g.rows {
            let secs = r.median_secs();
            let name = if r.imp.starts_with("ironwal") {
                format!("**{}**", r.imp)
            } else {
                r.imp.clone()
            };
            let _ = writeln!(
                t,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                g.short,
                name,
                sig(secs * 1e3),
                base.map(|b| ratio(secs / b)).unwrap_or_default(),
                up.map(|u| ratio(secs / u)).unwrap_or_default(),
                r.max_peak_rss_kib()
                    .map(|k| sig(k as f64 / 1024.0))
                    .unwrap_or_default(),
                r.base_rss_kib()
                    .map(|k| sig(k as f64 / 1024.0))
                    .unwrap_or_default(),
                r.note
            );
        }
    }
    t
}

pub struct Goal {
    pub workload: &'static str,
    pub what: String,
    pub target: String,
    pub measured: String,
    pub met: Option<bool>,
}

fn find<'a>(groups: &'a [Group], short: &str) -> Option<&'a Group> {
    groups.iter().find(|g| g.short == short)
}

fn tp(groups: &[Group], short: &str, imp: &str) -> Option<f64> {
    find(groups, short)?.row(imp).map(|r| r.ops_per_sec())
}

fn at_least(workload: &'static str, what: String, value: Option<f64>, target: f64) -> Goal {
    Goal {
        workload,
        what,
        target: format!("≥ {}×", sig(target)),
        measured: value.map(ratio).unwrap_or_else(|| "not run".into()),
        met: value.map(|v| v >= target),
    }
}

fn at_most(workload: &'static str, what: String, value: Option<f64>, target: f64) -> Goal {
    Goal {
        workload,
        what,
        target: format!("≤ {}×", sig(target)),
        measured: value.map(ratio).unwrap_or_else(|| "not run".into()),
        met: value.map(|v| v <= target),
    }
}

fn div(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    Some(a? / b?)
}

pub fn goals(groups: &[Group]) -> Vec<Goal> {
    let mut g = Vec::new();
    let t = |s: &str, i: &str| tp(groups, s, i);
    g.push(at_least(
        "W1",
        "ironwal / okaywal".into(),
        div(t("W1", "ironwal"), t("W1", "okaywal")),
        1.0,
    ));
    g.push(at_least(
        "W2",
        "ironwal / okaywal".into(),
        div(t("W2", "ironwal"), t("W2", "okaywal")),
        1.5,
    ));
    g.push(at_least(
        "W2",
        "ironwal / raw write+fdatasync (8 threads, serial)".into(),
        div(t("W2", "ironwal"), t("W2", "raw")),
        7.0,
    ));
    g.push(at_least(
        "W3",
        "ironwal / raw write per entry".into(),
        div(t("W3", "ironwal"), t("W3", "raw")),
        0.8,
    ));
    g.push(at_least(
        "W3",
        "C-driven / Rust-driven".into(),
        div(t("W3", "ironwal C-driven"), t("W3", "ironwal")),
        0.9,
    ));
    g.push(at_least(
        "W4",
        "ironwal / raw".into(),
        div(t("W4", "ironwal"), t("W4", "raw")),
        1.0,
    ));
    g.push(at_least(
        "W4",
        "ironwal / upstream".into(),
        div(t("W4", "ironwal"), t("W4", "upstream")),
        0.9,
    ));
    for layout in ["active", "sealed"] {
        for s in ["Std", "Mmap"] {
            let short = format!("W5 {s} {layout}");
            g.push(at_least(
                "W5",
                format!("{short}: ironwal / raw"),
                div(t(&short, "ironwal"), t(&short, "raw")),
                0.8,
            ));
            g.push(at_least(
                "W5",
                format!("{short}: ironwal / upstream"),
                div(t(&short, "ironwal"), t(&short, "upstream")),
                10_000.0,
            ));
        }
    }
    for layout in ["active", "sealed"] {
        for s in ["Std", "Mmap"] {
            let short = format!("W6 {s} {layout}");
            g.push(at_least(
                "W6",
                format!("{short}: ironwal / raw"),
                div(t(&short, "ironwal"), t(&short, "raw")),
                0.8,
            ));
        }
    }
    let secs = |short: &str, imp: &str| {
        find(groups, short)
            .and_then(|g| g.row(imp))
            .map(|r| r.median_secs())
    };
    for imp in ["ironwal (StandardIo)", "ironwal (Mmap)"] {
        for case in ["W7 1×", "W7 10×"] {
            g.push(at_most(
                "W7",
                format!("{case}: {imp} open time / upstream (Mmap)"),
                div(secs(case, imp), secs(case, "upstream (Mmap)")),
                1.0,
            ));
            g.push(at_most(
                "W7",
                format!("{case}: {imp} open time / raw full scan"),
                div(secs(case, imp), secs(case, "raw full scan")),
                0.3,
            ));
        }
        g.push(at_most(
            "W7",
            format!("{imp}: open time 10× / 1×"),
            div(secs("W7 10×", imp), secs("W7 1×", imp)),
            1.5,
        ));
        for case in ["W7 1×", "W7 10×"] {
            let rss = find(groups, case)
                .and_then(|g| g.row(imp))
                .and_then(|r| r.max_peak_rss_kib())
                .map(|k| k as f64 / 1024.0);
            g.push(Goal {
                workload: "W7",
                what: format!("{case}: {imp} peak RSS (block cache off)"),
                target: "≤ 64 MiB".into(),
                measured: rss
                    .map(|m| format!("{} MiB", sig(m)))
                    .unwrap_or_else(|| "not run".into()),
                met: rss.map(|m| m <= 64.0),
            });
        }
    }
    g
}

pub fn goals_table(goals: &[Goal]) -> String {
    let mut t = String::from("| | Goal | Target | Measured | Met |\n|---|---|---:|---:|---|\n");
    for g in goals.iter().filter(|g| g.met.is_some()) {
        let met = match g.met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "–",
        };
        let _ = writeln!(
            t,
            "| {} | {} | {} | {} | {} |",
            g.workload, g.what, g.target, g.measured, met
        );
    }
    t
}

pub fn machine_table(m: &Machine, cfg: &Config) -> String {
    let mut t = String::from("| | |\n|---|---|\n");
    let _ = writeln!(t, "| CPUs (`nproc`) | {} |", m.cpus);
    let _ = writeln!(t, "| CPU model | {} |", m.cpu_model);
    let _ = writeln!(t, "| Memory | {} |", m.memory);
    let _ = writeln!(
        t,
        "| File system of the data directory | {} |",
        m.filesystem
    );
    let _ = writeln!(t, "| Kernel | {} |", m.kernel);
    let _ = writeln!(t, "| Compiler | {} |", m.rustc);
    let end = |i: usize| {
        m.end_fdatasync_us
            .map(|e| {
                format!(
                    " at the start, {:.0} µs at the end",
                    if i == 0 { e.0 } else { e.1 }
                )
            })
            .unwrap_or_default()
    };
    let _ = writeln!(
        t,
        "| write 136 B in place + fdatasync (no size change), median | {:.0} µs{} |",
        m.fdatasync_us,
        end(0)
    );
    let _ = writeln!(
        t,
        "| append 136 B + fdatasync (size change), median | {:.0} µs{} |",
        m.append_fdatasync_us,
        end(1)
    );
    let _ = writeln!(
        t,
        "| Mode | {} ({} repetitions, W7 {}; median reported) |",
        if cfg.quick { "`--quick`" } else { "full" },
        cfg.reps,
        cfg.w7_reps
    );
    t
}

// ---------------------------------------------------------------------------------
// The chart.

fn color(imp: &str) -> RGBColor {
    match imp {
        "ironwal" | "ironwal (StandardIo)" => RGBColor(31, 119, 180),
        "ironwal C-driven" | "ironwal (Mmap)" => RGBColor(120, 180, 230),
        "upstream" | "upstream (Mmap)" => RGBColor(255, 127, 14),
        "okaywal" => RGBColor(44, 160, 44),
        "raw prealloc" => RGBColor(150, 150, 150),
        "raw 1 write/batch" => RGBColor(200, 200, 200),
        _ => RGBColor(80, 80, 80),
    }
}

/// An axis label: plain for 0.01..100000, else a power of ten.
fn axis(v: f64) -> String {
    if (0.01..100_000.0).contains(&v) {
        sig(v)
    } else {
        format!("1e{}", v.log10().round() as i32)
    }
}

fn log_bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::MAX, f64::MIN);
    for v in values.filter(|v| v.is_finite() && *v > 0.0) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if lo > hi {
        return (0.1, 10.0);
    }
    (
        10f64.powf((lo.log10() - 0.05).floor()),
        10f64.powf((hi.log10() + 0.15).ceil()),
    )
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

pub fn chart(groups: &[Group], path: &Path, machine_line: &str) -> DrawResult {
    let root = SVGBackend::new(path, (1200, 1000)).into_drawing_area();
    root.fill(&WHITE)?;
    let (top, bottom) = root.split_vertically(600);

    // Top: throughput relative to the raw baseline, W1-W6.
    let tgroups: Vec<&Group> = groups.iter().filter(|g| g.workload != "W7").collect();
    let imps = [
        "ironwal",
        "ironwal C-driven",
        "upstream",
        "okaywal",
        "raw prealloc",
        "raw 1 write/batch",
    ];
    let shown: Vec<&str> = imps
        .iter()
        .copied()
        .filter(|i| tgroups.iter().any(|g| g.row(i).is_some()))
        .collect();
    let value = |g: &Group, imp: &str| -> Option<f64> {
        Some(g.row(imp)?.ops_per_sec() / g.baseline()?.ops_per_sec())
    };
    let (lo, hi) = log_bounds(
        tgroups
            .iter()
            .flat_map(|g| shown.iter().filter_map(move |i| value(g, i)))
            .chain([1.0]),
    );
    // A decade of headroom above the tallest bar, for the legend.
    let hi = hi * 10.0;
    let n = tgroups.len().max(1) as f64;
    let mut c = ChartBuilder::on(&top)
        .caption(
            "Throughput relative to raw file I/O (median; log scale; 1 = raw)",
            ("sans-serif", 20),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..n, (lo..hi).log_scale())?;
    c.configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .x_label_formatter(&|_| String::new())
        .y_desc("× raw (higher is better)")
        .y_label_formatter(&|v| axis(*v))
        .draw()?;
    let width = 0.8 / shown.len().max(1) as f64;
    for (k, imp) in shown.iter().enumerate() {
        let col = color(imp);
        let bars: Vec<_> = tgroups
            .iter()
            .enumerate()
            .filter_map(|(gi, g)| {
                let v = value(g, imp)?;
                let x0 = gi as f64 + 0.1 + k as f64 * width;
                Some(Rectangle::new(
                    [(x0, lo), (x0 + width * 0.9, v)],
                    col.filled(),
                ))
            })
            .collect();
        c.draw_series(bars)?
            .label(*imp)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], col.filled()));
    }
    c.draw_series(LineSeries::new(
        vec![(0.0, 1.0), (n, 1.0)],
        BLACK.stroke_width(1),
    ))?;
    c.configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()?;
    let label_style = ("sans-serif", 13)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Center, VPos::Top));
    for (gi, g) in tgroups.iter().enumerate() {
        let (px, py) = c.backend_coord(&(gi as f64 + 0.5, lo));
        let mut parts = g.short.splitn(2, ' ');
        let first = parts.next().unwrap_or_default().to_string();
        root.draw(&Text::new(first, (px, py + 6), label_style.clone()))?;
        if let Some(rest) = parts.next() {
            root.draw(&Text::new(
                rest.to_string(),
                (px, py + 21),
                label_style.clone(),
            ))?;
        }
    }

    // Bottom: W7 open time.
    let w7: Vec<&Group> = groups.iter().filter(|g| g.workload == "W7").collect();
    if !w7.is_empty() {
        let imps: Vec<String> = w7[0].rows.iter().map(|r| r.imp.clone()).collect();
        let (lo, hi) = log_bounds(
            w7.iter()
                .flat_map(|g| g.rows.iter().map(|r| r.median_secs() * 1e3)),
        );
        let n = w7.len() as f64;
        let mut c = ChartBuilder::on(&bottom)
            .caption("W7: reopen time (median; log scale)", ("sans-serif", 20))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..n, (lo..hi).log_scale())?;
        c.configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .x_label_formatter(&|_| String::new())
            .y_desc("ms (lower is better)")
            .y_label_formatter(&|v| axis(*v))
            .draw()?;
        let width = 0.8 / imps.len() as f64;
        for (k, imp) in imps.iter().enumerate() {
            let col = color(imp);
            let bars: Vec<_> = w7
                .iter()
                .enumerate()
                .filter_map(|(gi, g)| {
                    let v = g.row(imp)?.median_secs() * 1e3;
                    let x0 = gi as f64 + 0.1 + k as f64 * width;
                    Some(Rectangle::new(
                        [(x0, lo), (x0 + width * 0.9, v)],
                        col.filled(),
                    ))
                })
                .collect();
            c.draw_series(bars)?
                .label(imp.as_str())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], col.filled()));
        }
        c.configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()?;
        for (gi, g) in w7.iter().enumerate() {
            let (px, py) = c.backend_coord(&(gi as f64 + 0.5, lo));
            let entries = g.rows.first().map(|r| r.median().ops).unwrap_or(0);
            root.draw(&Text::new(
                format!("{} ({} entries)", g.short, human(entries)),
                (px, py + 6),
                label_style.clone(),
            ))?;
        }
    }
    root.draw(&Text::new(
        machine_line.to_string(),
        (12, 985),
        ("sans-serif", 12).into_font().color(&RGBColor(90, 90, 90)),
    ))?;
    root.present()?;
    Ok(())
}
