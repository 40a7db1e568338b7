//! `kernel/check_notebook.py` refuses an executed notebook that reproduces a
//! study without its published-vs-reproduced table, or with an unexplained
//! difference in it (the table made by `codefail::metrics::Comparison` and
//! shown by codefail's HTML display).

use codefail::display::FrameDisplay;
use codefail::metrics::Comparison;

/// An executed notebook (metadata `codefail.reproduces`) whose one output is
/// `html`; the checker's exit status and output.
fn check(html: Option<String>) -> (bool, String) {
    let outputs = match html {
        Some(h) => serde_json::json!([{"output_type": "execute_result", "execution_count": 1,
                                       "metadata": {}, "data": {"text/html": h}}]),
        None => serde_json::json!([]),
    };
    let nb = serde_json::json!({
        "cells": [{"cell_type": "code", "execution_count": 1, "metadata": {}, "source": "x", "outputs": outputs}],
        "metadata": {"codefail": {"reproduces": true}},
        "nbformat": 4, "nbformat_minor": 5,
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nb.ipynb");
    std::fs::write(&path, nb.to_string()).unwrap();
    let out = std::process::Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/kernel/check_notebook.py"
        ))
        .arg(&path)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn the_checker_wants_a_published_table_without_unexplained_rows() {
    let explained = Comparison::new("study")
        .rate("pass@1", 0.50, 26, 50, None)
        .rate(
            "pass@1 elsewhere",
            0.90,
            10,
            50,
            Some("another problem set"),
        )
        .frame()
        .unwrap();
    let (ok, said) = check(Some(explained.to_html(&Default::default())));
    assert!(ok, "{said}");

    let unexplained = Comparison::new("study")
        .rate("pass@1", 0.90, 10, 50, None)
        .frame()
        .unwrap();
    let (ok, said) = check(Some(unexplained.to_html(&Default::default())));
    assert!(!ok && said.contains("unexplained"), "{said}");

    let (ok, said) = check(None);
    assert!(
        !ok && said.contains("no published-vs-reproduced table"),
        "{said}"
    );
}
