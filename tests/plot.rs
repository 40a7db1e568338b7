//! Charts and HTML tables: every chart kind renders to a valid PNG that is
//! not blank and an SVG that carries its title, axis labels and legend;
//! tables escape and truncate.
//! Set `CODEFAIL_PLOT_DIR` to keep the rendered files for a look.

use codefail::display::{FrameDisplay, TableOptions};
use codefail::plot::{self, Chart};
use polars::prelude::*;

fn check(chart: &Chart, must_contain: &[&str]) {
    let svg = chart.svg().expect("svg");
    for s in must_contain {
        assert!(svg.contains(s), "`{}`: SVG lacks {s:?}", chart.name());
    }
    let png = chart.png().expect("png");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // Width and height from the IHDR chunk: rendered at twice the nominal size.
    let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((w, h), (chart.dimensions().0 * 2, chart.dimensions().1 * 2));
    // Not blank: decoded, the picture has ink (pixels away from the white
    // background) on a visible share of it, in several colours.
    let mut reader = png::Decoder::new(std::io::Cursor::new(&png[..]))
        .read_info()
        .expect("png header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("png pixels");
    let channels = info.color_type.samples();
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(channels).collect();
    let ink = pixels
        .iter()
        .filter(|p| p[..3].iter().any(|&c| c < 200))
        .count();
    let colours: std::collections::HashSet<&[u8]> = pixels.iter().copied().collect();
    assert!(
        ink * 100 >= pixels.len(),
        "`{}`: only {ink} of {} pixels are not background",
        chart.name(),
        pixels.len()
    );
    assert!(
        colours.len() >= 4,
        "`{}`: {} colours",
        chart.name(),
        colours.len()
    );
    let dir = match std::env::var_os("CODEFAIL_PLOT_DIR") {
        Some(d) => std::path::PathBuf::from(d),
        None => std::env::temp_dir().join(format!("codefail-plot-{}", std::process::id())),
    };
    let (p, s) = chart.save_to(&dir).expect("save");
    assert!(p.exists() && s.exists());
    assert_eq!(
        p.file_name().unwrap().to_str().unwrap(),
        format!("{}.png", chart.name())
    );
}

#[test]
fn category_bars_stack_by_model_and_sort_by_total() {
    let df = df!(
        "category" => [Some("wrong_answer"), Some("wrong_answer"), Some("type"), None, Some("wrong_answer"), Some("name")],
        "model" => ["deepseek-1.3b", "egcfg", "deepseek-1.3b", "egcfg", "deepseek-1.3b", "egcfg"]
    )
    .unwrap();
    let c =
        plot::category_bars(&df, "category", Some("model"), "Failure categories by run").unwrap();
    check(
        &c,
        &[
            "Failure categories by run",
            "wrong_answer",
            "deepseek-1.3b",
            "egcfg",
            "\n3\n",
            // The row without a category is not dropped silently.
            "category (1 rows without one not drawn)",
        ],
    );
    assert_eq!(c.name(), "failure-categories-by-run");
}

#[test]
fn line_chart_with_band_ticks_and_reference() {
    let df = df!(
        "checkpoint_step" => [100i64, 200, 300, 100, 200, 300],
        "pass_at_1" => [0.2, 0.35, 0.3, 0.25, 0.3, 0.4],
        "ci_low" => [0.1, 0.2, 0.2, 0.1, 0.2, 0.3],
        "ci_high" => [0.3, 0.5, 0.4, 0.4, 0.45, 0.55],
        "variant" => ["deep", "deep", "deep", "diverse", "diverse", "diverse"]
    )
    .unwrap();
    let c = plot::lines(
        &df,
        "checkpoint_step",
        "pass_at_1",
        Some("variant"),
        Some(("ci_low", "ci_high")),
        "Pass@1 per checkpoint",
    )
    .unwrap()
    .with_y_range(0.0, 1.0)
    .with_references(vec![("base model 0.30".into(), 0.3)]);
    check(
        &c,
        &[
            "Pass@1 per checkpoint",
            "deep",
            "diverse",
            "checkpoint_step",
            "base model 0.30",
        ],
    );
}

#[test]
fn grouped_bars_heatmap_and_roc() {
    let df = df!("class" => ["syntax", "logic", "algorithm", "syntax", "logic", "algorithm"],
                 "variant" => ["deep", "deep", "deep", "diverse", "diverse", "diverse"],
                 "n" => [3i64, 40, 5, 1, 38, 7])
    .unwrap();
    check(
        &plot::bars(&df, "class", "n", Some("variant"), "Error classes").unwrap(),
        &["algorithm", "diverse", "\n40\n"],
    );

    let tasks: Vec<String> = (0..30).map(|i| format!("abc3{i:02}_a")).collect();
    let (mut t, mut c, mut v) = (vec![], vec![], vec![]);
    for (i, task) in tasks.iter().enumerate() {
        for k in 0..6 {
            t.push(task.clone());
            c.push(format!("deep@{}", (k + 1) * 50));
            v.push(((i + k) % 3 == 0) as i64 as f64);
        }
    }
    let grid = df!("task_id" => t, "checkpoint" => c, "passed" => v).unwrap();
    check(
        &plot::heatmap(
            &grid,
            "task_id",
            "checkpoint",
            "passed",
            "Problem x checkpoint",
        )
        .unwrap(),
        &["abc329_a", "deep@300"],
    );

    let roc = df!("score" => [0.9, 0.8, 0.7, 0.6, 0.2, 0.1], "failed" => [true, false, true, true, false, false]).unwrap();
    let chart = plot::roc(&roc, "score", "failed", None, "Failure prediction").unwrap();
    // 9 positive-negative pairs, 7 ordered correctly: AUC 7/9.
    check(&chart, &["AUC 0.778", "false positive rate"]);
}

#[test]
fn bad_columns_are_named_in_the_error() {
    let df = df!("x" => [1.0], "name" => ["a"]).unwrap();
    let e = plot::lines(&df, "x", "nope", None, None, "t")
        .unwrap_err()
        .to_string();
    assert!(e.contains("`nope`") && e.contains("missing"), "{e}");
    let e = plot::lines(&df, "x", "name", None, None, "t")
        .unwrap_err()
        .to_string();
    assert!(e.contains("numeric"), "{e}");
}

#[test]
fn html_tables_truncate_and_escape() {
    let n = 1000;
    let df = df!(
        "task_id" => (0..n).map(|i| format!("Mbpp/{i}")).collect::<Vec<_>>(),
        "code" => (0..n).map(|i| format!("def f():\n    return '<{i}>' + {}", "x".repeat(300))).collect::<Vec<_>>()
    )
    .unwrap();
    let html = df.to_html(&TableOptions {
        max_rows: 10,
        max_cols: 24,
        max_chars: 40,
    });
    assert!(html.contains("shape: (1000, 2)"));
    assert!(html.contains("<td>Mbpp/0</td>") && html.contains("<td>Mbpp/999</td>"));
    assert!(!html.contains("Mbpp/500<"));
    assert!(html.contains("&lt;0&gt;") && !html.contains("<0>"));
    assert!(html.contains("def f():↵"));
    assert!(
        html.matches("<tr>").count() == 2 + 11,
        "header rows, 10 rows and the elision row"
    );
    let wide = DataFrame::new_infer_height(
        (0..40)
            .map(|i| Column::new(format!("c{i}").into(), [i]))
            .collect(),
    )
    .unwrap();
    let html = wide.to_html(&TableOptions {
        max_rows: 10,
        max_cols: 6,
        max_chars: 40,
    });
    assert!(
        html.contains("<th>c2</th>")
            && html.contains("<th>c37</th>")
            && !html.contains("<th>c20</th>")
    );
}

#[test]
fn rate_bars_draw_a_wilson_whisker_per_bar() {
    let df = df!("turn" => [1i64, 2, 3], "solved" => [3i64, 5, 10], "n_tasks" => [10i64, 10, 10])
        .unwrap();
    let chart = plot::rate_bars(
        &df,
        "turn",
        "solved",
        "n_tasks",
        None,
        "Solved within k turns",
    )
    .unwrap()
    .with_y_range(0.0, 110.0);
    check(
        &chart,
        &["95% Wilson interval", "\n30\n", "\n50\n", "\n100\n"],
    );
    // The same bars without intervals, on the same axes: three more lines
    // per bar (the whisker and its two caps).
    let pct = df!("turn" => [1i64, 2, 3], "pct" => [30.0, 50.0, 100.0]).unwrap();
    let plain = plot::bars(&pct, "turn", "pct", None, "Solved within k turns")
        .unwrap()
        .with_y_range(0.0, 110.0);
    let lines = |c: &Chart| c.svg().unwrap().matches("<polyline").count();
    assert_eq!(lines(&chart), lines(&plain) + 9);
    // 10 of 10 reaches 100 with its interval below it: Wilson (72.2, 100).
    let (lo, hi) = codefail::metrics::wilson_interval(10, 10, 1.96);
    assert!((lo - 0.722).abs() < 1e-3 && hi > 0.9999, "{lo} {hi}");
}

#[test]
fn long_bar_labels_put_the_bars_sideways_instead_of_overlapping() {
    let names: Vec<String> = (0..15).map(|i| format!("first_line_entropy_{i}")).collect();
    let values: Vec<f64> = (0..15).map(|i| 0.4 + 0.02 * i as f64).collect();
    let df = df!("feature" => names, "auroc" => values).unwrap();
    let chart = plot::bars(&df, "feature", "auroc", None, "Fifteen long labels")
        .unwrap()
        .with_axis_labels("feature", "AUROC alone");
    // Sideways: one row per label, so the chart grows with them.
    assert_eq!(chart.dimensions(), (960, 140 + 34 * 15));
    check(
        &chart,
        &[
            "first_line_entropy_0",
            "first_line_entropy_14",
            "feature",
            "AUROC alone",
        ],
    );
    // The value axis is the horizontal one: its title sits below the plot.
    let svg = chart.svg().unwrap();
    let y_of = |text: &str| -> f64 {
        let at = svg.find(&format!("\n{text}\n")).unwrap();
        let open = svg[..at].rfind("<text").unwrap();
        let tag = &svg[open..at];
        let y = tag
            .split(" y=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        y.parse().unwrap()
    };
    assert!(y_of("AUROC alone") > y_of("first_line_entropy_14"));
    // Short labels stay vertical bars.
    let short = df!("class" => ["a", "b"], "n" => [1i64, 2]).unwrap();
    let c = plot::bars(&short, "class", "n", None, "Two").unwrap();
    assert_eq!(c.dimensions(), (960, 540));
}
