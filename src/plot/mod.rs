//! The `plot` stage: paper-ready charts from frames, on plotters.
//!
//! Every function takes a frame and gives a [`Chart`]. A chart renders to PNG
//! and SVG ([`Chart::png`], [`Chart::svg`]), saves both to `outputs/` under a
//! deterministic name ([`Chart::save`], [`Chart::saved`]) and shows itself
//! inline in a notebook (it implements `evcxr_display`, see
//! [`crate::display`]). Text is drawn with DejaVu Sans, embedded in the
//! crate, so charts look the same on a bare machine without system fonts.
//!
//! | function | chart |
//! |---|---|
//! | [`category_bars`] | horizontal bars of category counts, stacked by model or run |
//! | [`bars`] | grouped vertical bars of a value per category and series |
//! | [`lines`] | a value against x, one line per series, optional confidence band and reference lines (pass@k curves, checkpoint progressions, gamma sweeps) |
//! | [`heatmap`] | a value per row and column (problem x checkpoint) |
//! | [`roc`] | ROC curves with their AUC, one per series |
//!
//! ```no_run
//! use codefail::prelude::*;
//! # let classified = codefail::data::results_frame(&[]).unwrap();
//! let chart = codefail::plot::category_bars(&classified, "category", Some("model"), "Failure categories")?;
//! chart.save_to("outputs")?; // outputs/failure-categories.png and .svg
//! # Ok::<(), codefail::Error>(())
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use polars::prelude::DataFrame;

use crate::data::read;
use crate::error::{Error, Result};

/// The font every chart uses (DejaVu Sans, Bitstream Vera licence: `assets/fonts/LICENSE-DejaVu`).
const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";

/// Reference lines: dark grey, brown, olive, slate.
const REFERENCE_COLORS: [RGBColor; 4] = [
    RGBColor(64, 64, 64),
    RGBColor(140, 86, 75),
    RGBColor(128, 128, 0),
    RGBColor(90, 110, 140),
];

/// Tableau 10: distinguishable, colour-blind-friendly series colours.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The colour of series `i` (Tableau 10, cycling).
///
/// ```
/// assert_eq!(codefail::plot::series_color(0), codefail::plot::series_color(10));
/// ```
pub fn series_color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The font is compiled in; a failure here is a build defect, not user data.
        for style in [FontStyle::Normal, FontStyle::Bold] {
            if plotters::style::register_font(FAMILY, style, FONT).is_err() {
                tracing::error!("embedded font could not be parsed");
            }
        }
    });
}

/// One named series of `(x, y)` points, with an optional band `(x, low, high)`.
#[derive(Clone, Debug, Default)]
pub struct Series {
    /// Legend label.
    pub name: String,
    /// Points, drawn in order.
    pub points: Vec<(f64, f64)>,
    /// Confidence band: `(x, low, high)`.
    pub band: Vec<(f64, f64, f64)>,
}

#[derive(Clone, Debug)]
enum Kind {
    /// Horizontal stacked bars: `labels` on the y axis, one stack per series.
    HBars {
        labels: Vec<String>,
        stacks: Vec<(String, Vec<f64>)>,
    },
    /// Vertical grouped bars; `intervals` (per group, per label; empty for
    /// none) are drawn as whiskers.
    VBars {
        labels: Vec<String>,
        groups: Vec<(String, Vec<f64>)>,
        intervals: Vec<Vec<Option<(f64, f64)>>>,
        y_max: Option<f64>,
    },
    Lines {
        series: Vec<Series>,
        x_ticks: Option<Vec<(f64, String)>>,
        y_range: Option<(f64, f64)>,
        references: Vec<(String, f64)>,
        diagonal: bool,
    },
    Heatmap {
        rows: Vec<String>,
        cols: Vec<String>,
        cells: Vec<Vec<Option<f64>>>,
        range: (f64, f64),
    },
}

/// A chart: data plus labels; rendered on demand to PNG or SVG.
///
/// ```
/// let chart = codefail::plot::Chart::bar_chart(
///     "Errors by variant", "error class", "failures",
///     vec!["syntax".into(), "logic".into()],
///     vec![("deep".into(), vec![3.0, 10.0]), ("diverse".into(), vec![1.0, 12.0])],
/// );
/// assert_eq!(chart.name(), "errors-by-variant");
/// assert!(chart.svg().unwrap().contains("<svg"));
/// assert_eq!(&chart.png().unwrap()[1..4], b"PNG");
/// ```
#[derive(Clone, Debug)]
pub struct Chart {
    name: String,
    title: String,
    x_label: String,
    y_label: String,
    width: u32,
    height: u32,
    kind: Kind,
    /// [`bars`] drew its categories down the y axis (labels too long to sit
    /// side by side): [`Chart::with_axis_labels`] still takes the category
    /// axis first.
    categories_on_y: bool,
}

/// A file-name-safe slug of a title: lowercase ASCII letters, digits and `-`.
///
/// ```
/// assert_eq!(codefail::plot::slug("Pass@1 per checkpoint (deep vs diverse)"), "pass-1-per-checkpoint-deep-vs-diverse");
/// ```
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

type DrawResult<DB> =
    std::result::Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn draw_err(e: impl std::fmt::Display) -> Error {
    Error::Invalid(format!("drawing the chart failed: {e}"))
}

impl Chart {
    fn new(title: &str, x_label: &str, y_label: &str, kind: Kind) -> Chart {
        Chart {
            name: slug(title),
            title: title.to_string(),
            x_label: x_label.to_string(),
            y_label: y_label.to_string(),
            width: 960,
            height: 540,
            kind,
            categories_on_y: false,
        }
    }

    /// Grouped vertical bars: one group per label, one bar per series.
    ///
    /// ```
    /// let c = codefail::plot::Chart::bar_chart("t", "x", "y", vec!["a".into()], vec![("s".into(), vec![1.0])]);
    /// assert_eq!(c.title(), "t");
    /// ```
    pub fn bar_chart(
        title: &str,
        x_label: &str,
        y_label: &str,
        labels: Vec<String>,
        groups: Vec<(String, Vec<f64>)>,
    ) -> Chart {
        Chart::new(
            title,
            x_label,
            y_label,
            Kind::VBars {
                labels,
                groups,
                intervals: Vec::new(),
                y_max: None,
            },
        )
    }

    /// Lines (with markers) of several series.
    ///
    /// ```
    /// use codefail::plot::{Chart, Series};
    /// let s = Series { name: "a".into(), points: vec![(1.0, 0.2), (2.0, 0.4)], band: vec![] };
    /// let c = Chart::line_chart("t", "x", "y", vec![s]);
    /// assert!(c.svg().unwrap().contains("<svg"));
    /// ```
    pub fn line_chart(title: &str, x_label: &str, y_label: &str, series: Vec<Series>) -> Chart {
        Chart::new(
            title,
            x_label,
            y_label,
            Kind::Lines {
                series,
                x_ticks: None,
                y_range: None,
                references: vec![],
                diagonal: false,
            },
        )
    }

    /// The deterministic file stem (a slug of the title unless renamed).
    ///
    /// ```
    /// let c = codefail::plot::Chart::bar_chart("A B", "x", "y", vec![], vec![]);
    /// assert_eq!(c.name(), "a-b");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The title.
    ///
    /// ```
    /// let c = codefail::plot::Chart::bar_chart("A B", "x", "y", vec![], vec![]);
    /// assert_eq!(c.title(), "A B");
    /// ```
    pub fn title(&self) -> &str {
        &self.title
    }

    /// Rename the chart's files (`name` is slugged).
    ///
    /// ```
    /// let c = codefail::plot::Chart::bar_chart("A", "x", "y", vec![], vec![]).named("fig 2");
    /// assert_eq!(c.name(), "fig-2");
    /// ```
    pub fn named(mut self, name: &str) -> Chart {
        self.name = slug(name);
        self
    }

    /// Set the size in pixels (default 960 x 540).
    ///
    /// ```
    /// let c = codefail::plot::Chart::bar_chart("A", "x", "y", vec![], vec![]).size(640, 480);
    /// assert_eq!(c.dimensions(), (640, 480));
    /// ```
    pub fn size(mut self, width: u32, height: u32) -> Chart {
        self.width = width.max(200);
        self.height = height.max(150);
        self
    }

    /// Width and height in pixels.
    ///
    /// ```
    /// let c = codefail::plot::Chart::bar_chart("A", "x", "y", vec![], vec![]);
    /// assert_eq!(c.dimensions(), (960, 540));
    /// ```
    pub fn dimensions(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// Add horizontal reference lines (e.g. a paper's printed figure) to a line chart.
    ///
    /// ```
    /// use codefail::plot::{Chart, Series};
    /// let c = Chart::line_chart("t", "x", "y", vec![]).with_references(vec![("paper: 84.8".into(), 84.8)]);
    /// assert!(c.svg().unwrap().contains("paper: 84.8"));
    /// ```
    pub fn with_references(mut self, refs: Vec<(String, f64)>) -> Chart {
        if let Kind::Lines { references, .. } = &mut self.kind {
            references.extend(refs);
        }
        self
    }

    /// Name the axes (by default the column names): `x` the horizontal
    /// one and `y` the vertical, except on a [`bars`] chart drawn sideways,
    /// where `x` still names the categories and `y` the values.
    ///
    /// ```
    /// let c = codefail::plot::Chart::line_chart("t", "k", "pass_at_k", vec![]).with_axis_labels("k", "pass@k");
    /// assert!(c.svg().unwrap().contains("pass@k"));
    /// ```
    pub fn with_axis_labels(mut self, x: &str, y: &str) -> Chart {
        let (x, y) = if self.categories_on_y { (y, x) } else { (x, y) };
        self.x_label = x.to_string();
        self.y_label = y.to_string();
        self
    }

    /// Fix the y range of a line or bar chart (e.g. `(0.0, 1.0)` for rates).
    ///
    /// ```
    /// let c = codefail::plot::Chart::line_chart("t", "x", "y", vec![]).with_y_range(0.0, 1.0);
    /// assert!(c.png().is_ok());
    /// ```
    pub fn with_y_range(mut self, lo: f64, hi: f64) -> Chart {
        match &mut self.kind {
            Kind::Lines { y_range, .. } => *y_range = Some((lo, hi)),
            Kind::VBars { y_max, .. } => *y_max = Some(hi),
            _ => {}
        }
        self
    }

    /// Label x positions of a line chart with text (e.g. checkpoint names).
    ///
    /// ```
    /// let c = codefail::plot::Chart::line_chart("t", "x", "y", vec![]).with_x_ticks(vec![(1.0, "ckpt-1".into())]);
    /// assert!(c.svg().is_ok());
    /// ```
    pub fn with_x_ticks(mut self, ticks: Vec<(f64, String)>) -> Chart {
        if let Kind::Lines { x_ticks, .. } = &mut self.kind {
            *x_ticks = Some(ticks);
        }
        self
    }

    /// The chart as an SVG document.
    ///
    /// ```
    /// let c = codefail::plot::Chart::bar_chart("A", "x", "y", vec!["a".into()], vec![("s".into(), vec![2.0])]);
    /// assert!(c.svg().unwrap().starts_with("<svg"));
    /// ```
    pub fn svg(&self) -> Result<String> {
        register_font();
        let mut out = String::new();
        {
            let root =
                SVGBackend::with_string(&mut out, (self.width, self.height)).into_drawing_area();
            self.draw(&root).map_err(draw_err)?;
            root.present().map_err(draw_err)?;
        }
        Ok(out)
    }

    /// The chart as a PNG image (rendered at twice the nominal size for sharp text).
    ///
    /// ```
    /// let c = codefail::plot::Chart::bar_chart("A", "x", "y", vec!["a".into()], vec![("s".into(), vec![2.0])]);
    /// assert_eq!(&c.png().unwrap()[..4], b"\x89PNG");
    /// ```
    pub fn png(&self) -> Result<Vec<u8>> {
        register_font();
        let scale = 2u32;
        let (w, h) = (self.width * scale, self.height * scale);
        let mut rgb = vec![255u8; (w * h * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
            let scaled = Chart {
                width: w,
                height: h,
                ..self.clone()
            };
            scaled.draw_scaled(&root, scale as f64).map_err(draw_err)?;
            root.present().map_err(draw_err)?;
        }
        let mut out = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut out, w, h);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            let mut writer = enc.write_header().map_err(draw_err)?;
            writer.write_image_data(&rgb).map_err(draw_err)?;
        }
        Ok(out)
    }

    /// Write `<dir>/<name>.png` and `<dir>/<name>.svg`; gives both paths.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let c = codefail::plot::Chart::bar_chart("My chart", "x", "y", vec!["a".into()], vec![("s".into(), vec![1.0])]);
    /// let (png, svg) = c.save_to(dir.path()).unwrap();
    /// assert!(png.ends_with("my-chart.png") && svg.exists());
    /// ```
    pub fn save_to(&self, dir: impl AsRef<Path>) -> Result<(PathBuf, PathBuf)> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let png_path = dir.join(format!("{}.png", self.name));
        let svg_path = dir.join(format!("{}.svg", self.name));
        std::fs::write(&png_path, self.png()?).map_err(|e| Error::io(&png_path, e))?;
        std::fs::write(&svg_path, self.svg()?).map_err(|e| Error::io(&svg_path, e))?;
        Ok((png_path, svg_path))
    }

    /// Save to [`outputs_dir`] and give the chart back, so a notebook cell can
    /// end with `plot::...(...)?.saved()?` and show it.
    ///
    /// ```no_run
    /// let c = codefail::plot::Chart::bar_chart("A", "x", "y", vec![], vec![]).saved()?;
    /// # Ok::<(), codefail::Error>(())
    /// ```
    pub fn saved(self) -> Result<Chart> {
        self.save_to(outputs_dir())?;
        Ok(self)
    }

    /// The house style of every axis grid: light grid lines, axis names,
    /// tick and axis-name fonts.
    fn house_mesh<'m, 'a, 'b, DB: DrawingBackend>(
        &self,
        mesh: &'m mut MeshStyle<'a, 'b, RangedCoordf64, RangedCoordf64, DB>,
        tick: &FontDesc<'b>,
        label: &FontDesc<'b>,
    ) -> &'m mut MeshStyle<'a, 'b, RangedCoordf64, RangedCoordf64, DB> {
        mesh.light_line_style(WHITE)
            .bold_line_style(RGBColor(225, 225, 225))
            .x_desc(self.x_label.clone())
            .y_desc(self.y_label.clone())
            .label_style(tick.clone())
            .axis_desc_style(label.clone())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        self.draw_scaled(root, 1.0)
    }

    fn draw_scaled<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        s: f64,
    ) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let px = |v: f64| (v * s).round() as i32;
        let font = |size: f64| (FAMILY, size * s).into_font();
        let title_style = font(20.0).style(FontStyle::Bold);
        let label_style = font(15.0);
        let tick_style = font(13.0);
        match &self.kind {
            Kind::HBars { labels, stacks } => {
                let n = labels.len().max(1);
                let totals: Vec<f64> = (0..labels.len())
                    .map(|i| {
                        stacks
                            .iter()
                            .map(|(_, v)| v.get(i).copied().unwrap_or(0.0))
                            .sum()
                    })
                    .collect();
                let x_max = totals.iter().cloned().fold(0.0, f64::max).max(1.0) * 1.12;
                let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(4);
                let names = labels.clone();
                let mut chart = ChartBuilder::on(root)
                    .caption(&self.title, title_style)
                    .margin(px(12.0))
                    .x_label_area_size(px(45.0))
                    .y_label_area_size(px((longest as f64 * 8.0 + 20.0).clamp(60.0, 360.0)))
                    .build_cartesian_2d(0.0..x_max, -0.5..(n as f64 - 0.5))?;
                self.house_mesh(&mut chart.configure_mesh(), &tick_style, &label_style)
                    .disable_y_mesh()
                    .y_labels(n)
                    .y_label_formatter(&|y| tick_name(&names, *y, true))
                    .x_label_formatter(&|x| fmt_num(*x))
                    .draw()?;
                let mut left = vec![0.0; labels.len()];
                for (si, (name, vals)) in stacks.iter().enumerate() {
                    let color = series_color(si);
                    let rects: Vec<_> = (0..labels.len())
                        .filter_map(|i| {
                            let v = vals.get(i).copied().unwrap_or(0.0);
                            if v <= 0.0 {
                                return None;
                            }
                            let y = (labels.len() - 1 - i) as f64;
                            let r = Rectangle::new(
                                [(left[i], y - 0.38), (left[i] + v, y + 0.38)],
                                color.filled(),
                            );
                            left[i] += v;
                            Some(r)
                        })
                        .collect();
                    chart
                        .draw_series(rects)?
                        .label(name)
                        .legend(move |(x, y)| legend_box(x, y, color, s));
                }
                let totals_text = totals.iter().enumerate().map(|(i, t)| {
                    let y = (labels.len() - 1 - i) as f64;
                    Text::new(
                        fmt_num(*t),
                        (*t + x_max * 0.01, y + 0.15),
                        tick_style.clone(),
                    )
                });
                chart.draw_series(totals_text)?;
                if stacks.len() > 1 {
                    legend_at(&mut chart, s, &label_style, SeriesLabelPosition::LowerRight)?;
                }
            }
            Kind::VBars {
                labels,
                groups,
                intervals,
                y_max,
            } => {
                let n = labels.len().max(1);
                let g = groups.len().max(1);
                let interval = |gi: usize, i: usize| -> Option<(f64, f64)> {
                    intervals.get(gi).and_then(|v| v.get(i).copied().flatten())
                };
                let top = y_max.unwrap_or_else(|| {
                    groups
                        .iter()
                        .flat_map(|(_, v)| v.iter().copied())
                        .chain(intervals.iter().flatten().flatten().map(|iv| iv.1))
                        .fold(0.0, f64::max)
                        .max(1e-9)
                        * 1.15
                });
                let names = labels.clone();
                let mut chart = ChartBuilder::on(root)
                    .caption(&self.title, title_style)
                    .margin(px(12.0))
                    .x_label_area_size(px(50.0))
                    .y_label_area_size(px(70.0))
                    .build_cartesian_2d(-0.5..(n as f64 - 0.5), 0.0..top)?;
                self.house_mesh(&mut chart.configure_mesh(), &tick_style, &label_style)
                    .disable_x_mesh()
                    .x_labels(n)
                    .x_label_formatter(&|x| tick_name(&names, *x, false))
                    .y_label_formatter(&|y| fmt_num(*y))
                    .draw()?;
                let width = 0.8 / g as f64;
                for (gi, (name, vals)) in groups.iter().enumerate() {
                    let color = series_color(gi);
                    let x0 = -0.4 + gi as f64 * width;
                    let rects = vals.iter().enumerate().map(|(i, v)| {
                        let x = i as f64 + x0;
                        Rectangle::new([(x, 0.0), (x + width * 0.92, *v)], color.filled())
                    });
                    chart
                        .draw_series(rects)?
                        .label(name)
                        .legend(move |(x, y)| legend_box(x, y, color, s));
                    // Whiskers: the interval, with caps, over the bar's middle.
                    let ink = ShapeStyle::from(&RGBColor(40, 40, 40)).stroke_width(px(1.5) as u32);
                    let whiskers = (0..vals.len()).filter_map(|i| {
                        let (lo, hi) = interval(gi, i)?;
                        let xc = i as f64 + x0 + width * 0.46;
                        let cap = width * 0.18;
                        Some([
                            PathElement::new(vec![(xc, lo), (xc, hi)], ink),
                            PathElement::new(vec![(xc - cap, lo), (xc + cap, lo)], ink),
                            PathElement::new(vec![(xc - cap, hi), (xc + cap, hi)], ink),
                        ])
                    });
                    chart.draw_series(whiskers.flatten())?;
                    // The value centred above the bar (and above its whisker).
                    let centred = TextStyle::from(tick_style.clone()).pos(
                        plotters::style::text_anchor::Pos::new(
                            plotters::style::text_anchor::HPos::Center,
                            plotters::style::text_anchor::VPos::Bottom,
                        ),
                    );
                    let texts = vals.iter().enumerate().map(|(i, v)| {
                        let xc = i as f64 + x0 + width * 0.46;
                        let above = interval(gi, i).map_or(*v, |iv| iv.1.max(*v));
                        Text::new(fmt_num(*v), (xc, above + top * 0.01), centred.clone())
                    });
                    chart.draw_series(texts)?;
                }
                if groups.len() > 1 {
                    legend(&mut chart, s, &label_style)?;
                }
            }
            Kind::Lines {
                series,
                x_ticks,
                y_range,
                references,
                diagonal,
            } => {
                let xs = series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
                let (mut x0, mut x1) = min_max(xs).unwrap_or((0.0, 1.0));
                if let Some(t) = x_ticks
                    && let Some((a, b)) = min_max(t.iter().map(|t| t.0))
                {
                    x0 = x0.min(a);
                    x1 = x1.max(b);
                }
                if x1 - x0 < 1e-12 {
                    x0 -= 0.5;
                    x1 += 0.5;
                }
                let pad = (x1 - x0) * 0.04;
                let (y0, y1) = y_range.unwrap_or_else(|| {
                    let ys = series
                        .iter()
                        .flat_map(|s| {
                            s.points
                                .iter()
                                .map(|p| p.1)
                                .chain(s.band.iter().flat_map(|b| [b.1, b.2]))
                        })
                        .chain(references.iter().map(|r| r.1));
                    let (a, b) = min_max(ys).unwrap_or((0.0, 1.0));
                    let span = (b - a).max(1e-9);
                    (
                        (a - span * 0.08).min(if a >= 0.0 { 0.0 } else { a }),
                        b + span * 0.12,
                    )
                });
                let mut chart = ChartBuilder::on(root)
                    .caption(&self.title, title_style)
                    .margin(px(12.0))
                    .x_label_area_size(px(50.0))
                    .y_label_area_size(px(70.0))
                    .build_cartesian_2d((x0 - pad)..(x1 + pad), y0..y1)?;
                let ticks = x_ticks.clone();
                let fmt_x = move |x: &f64| match &ticks {
                    Some(t) => t
                        .iter()
                        .find(|(v, _)| (v - x).abs() < 1e-6)
                        .map(|(_, l)| l.clone())
                        .unwrap_or_default(),
                    None => fmt_num(*x),
                };
                let mut mesh = chart.configure_mesh();
                self.house_mesh(&mut mesh, &tick_style, &label_style)
                    .x_label_formatter(&fmt_x)
                    .y_label_formatter(&|y| fmt_num(*y));
                if let Some(t) = x_ticks {
                    mesh.x_labels(t.len().max(2) * 4);
                }
                mesh.draw()?;
                if *diagonal {
                    chart.draw_series(LineSeries::new(
                        vec![(0.0, 0.0), (1.0, 1.0)],
                        ShapeStyle::from(&RGBColor(160, 160, 160)).stroke_width(px(1.0) as u32),
                    ))?;
                }
                for (i, (name, y)) in references.iter().enumerate() {
                    // Dashed, in muted colours, named in the legend.
                    let color = REFERENCE_COLORS[i % REFERENCE_COLORS.len()];
                    let width = px(1.8) as u32;
                    let segments = dashes(x0 - pad, x1 + pad, *y);
                    chart
                        .draw_series(segments.into_iter().map(|(a, b)| {
                            PathElement::new(
                                vec![a, b],
                                ShapeStyle::from(&color).stroke_width(width),
                            )
                        }))?
                        .label(name)
                        .legend(move |(x, y)| {
                            let d = (5.0 * s) as i32;
                            let style = ShapeStyle::from(&color).stroke_width(width);
                            EmptyElement::at((x, y))
                                + PathElement::new(vec![(0, 0), (d, 0)], style)
                                + PathElement::new(vec![(2 * d, 0), (3 * d, 0)], style)
                        });
                }
                for (si, ser) in series.iter().enumerate() {
                    let color = series_color(si);
                    if !ser.band.is_empty() {
                        let mut poly: Vec<(f64, f64)> =
                            ser.band.iter().map(|b| (b.0, b.2)).collect();
                        poly.extend(ser.band.iter().rev().map(|b| (b.0, b.1)));
                        chart.draw_series(std::iter::once(Polygon::new(
                            poly,
                            color.mix(0.15).filled(),
                        )))?;
                    }
                    chart
                        .draw_series(LineSeries::new(
                            ser.points.clone(),
                            ShapeStyle::from(&color).stroke_width(px(2.5) as u32),
                        ))?
                        .label(if ser.name.is_empty() {
                            &self.y_label
                        } else {
                            &ser.name
                        })
                        .legend(move |(x, y)| {
                            PathElement::new(
                                vec![(x, y), (x + (20.0 * s) as i32, y)],
                                ShapeStyle::from(&color).stroke_width((2.5 * s) as u32),
                            )
                        });
                    if ser.points.len() <= 60 {
                        chart.draw_series(
                            ser.points
                                .iter()
                                .map(|p| Circle::new(*p, px(3.5), color.filled())),
                        )?;
                    }
                }
                if !series.is_empty() || !references.is_empty() {
                    // The legend goes in the corner the lines cross least.
                    let mut ink: Vec<(f64, f64)> = Vec::new();
                    for ser in series {
                        ink.extend(along(&ser.points));
                    }
                    if *diagonal {
                        ink.extend(along(&[(0.0, 0.0), (1.0, 1.0)]));
                    }
                    for (_, y) in references {
                        ink.extend(along(&[(x0, *y), (x1, *y)]));
                    }
                    let at = emptiest_corner(&ink, (x0 - pad, x1 + pad), (y0, y1));
                    legend_at(&mut chart, s, &label_style, at)?;
                }
            }
            Kind::Heatmap {
                rows,
                cols,
                cells,
                range,
            } => {
                let (nr, nc) = (rows.len().max(1), cols.len().max(1));
                let longest = rows.iter().map(|l| l.chars().count()).max().unwrap_or(4);
                let (rn, cn) = (rows.clone(), cols.clone());
                let (root_main, root_key) = root.split_horizontally(self.width as i32 - px(110.0));
                let mut chart = ChartBuilder::on(&root_main)
                    .caption(&self.title, title_style)
                    .margin(px(12.0))
                    .x_label_area_size(px(60.0))
                    .y_label_area_size(px((longest as f64 * 7.5 + 20.0).clamp(50.0, 320.0)))
                    .build_cartesian_2d(-0.5..(nc as f64 - 0.5), -0.5..(nr as f64 - 0.5))?;
                chart
                    .configure_mesh()
                    .disable_mesh()
                    .x_labels(nc)
                    .y_labels(nr)
                    .x_label_formatter(&|x| tick_name(&cn, *x, false))
                    .y_label_formatter(&|y| tick_name(&rn, *y, true))
                    .x_desc(&self.x_label)
                    .y_desc(&self.y_label)
                    .label_style(font(if nr > 40 { 9.0 } else { 11.0 }))
                    .axis_desc_style(label_style.clone())
                    .draw()?;
                let (lo, hi) = *range;
                let cells_iter = cells.iter().enumerate().flat_map(|(r, row)| {
                    let y = (nr - 1 - r) as f64;
                    row.iter().enumerate().map(move |(c, v)| {
                        let color = match v {
                            Some(v) => {
                                heat_color(((v - lo) / (hi - lo).max(1e-12)).clamp(0.0, 1.0))
                            }
                            None => RGBColor(230, 230, 230),
                        };
                        Rectangle::new(
                            [(c as f64 - 0.5, y - 0.5), (c as f64 + 0.5, y + 0.5)],
                            color.filled(),
                        )
                    })
                });
                chart.draw_series(cells_iter)?;
                // Colour key.
                let key = root_key.margin(px(60.0), px(70.0), px(10.0), px(40.0));
                let (kw, kh) = key.dim_in_pixel();
                let steps = 50;
                for i in 0..steps {
                    let t = i as f64 / (steps - 1) as f64;
                    let y0 = kh as i32 - ((i + 1) as f64 * kh as f64 / steps as f64) as i32;
                    let y1 = kh as i32 - (i as f64 * kh as f64 / steps as f64) as i32;
                    key.draw(&Rectangle::new(
                        [(0, y0), ((kw as i32) / 3, y1)],
                        heat_color(t).filled(),
                    ))?;
                }
                key.draw(&Text::new(
                    fmt_num(hi),
                    ((kw as i32) / 3 + px(4.0), 0),
                    tick_style.clone(),
                ))?;
                key.draw(&Text::new(
                    fmt_num(lo),
                    ((kw as i32) / 3 + px(4.0), kh as i32 - px(12.0)),
                    tick_style.clone(),
                ))?;
            }
        }
        Ok(())
    }
}

type F64Chart<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

fn legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut F64Chart<'a, DB>,
    s: f64,
    style: &FontDesc<'_>,
) -> DrawResult<DB> {
    legend_at(chart, s, style, SeriesLabelPosition::UpperRight)
}

fn legend_at<'a, DB: DrawingBackend + 'a>(
    chart: &mut F64Chart<'a, DB>,
    s: f64,
    style: &FontDesc<'_>,
    at: SeriesLabelPosition,
) -> DrawResult<DB> {
    chart
        .configure_series_labels()
        .position(at)
        .margin((8.0 * s) as i32)
        .legend_area_size((24.0 * s) as i32)
        .border_style(RGBColor(180, 180, 180))
        .background_style(WHITE.mix(0.85))
        .label_font(style.clone())
        .draw()
}

/// Points every small step along a polyline (so that a long straight segment
/// counts where it runs, not only at its ends).
fn along(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    for w in points.windows(2) {
        let ((ax, ay), (bx, by)) = (w[0], w[1]);
        for k in 0..20 {
            let t = k as f64 / 20.0;
            out.push((ax + (bx - ax) * t, ay + (by - ay) * t));
        }
    }
    out.extend(points.last().copied());
    out
}

/// The corner of the plot (upper right first, then upper left, lower right,
/// lower left) whose legend-sized box (40% of the width, 25% of the height)
/// holds the fewest of `ink`'s points.
fn emptiest_corner(ink: &[(f64, f64)], x: (f64, f64), y: (f64, f64)) -> SeriesLabelPosition {
    let (w, h) = ((x.1 - x.0) * 0.4, (y.1 - y.0) * 0.25);
    let boxes = [
        (
            SeriesLabelPosition::UpperRight,
            (x.1 - w, x.1),
            (y.1 - h, y.1),
        ),
        (
            SeriesLabelPosition::UpperLeft,
            (x.0, x.0 + w),
            (y.1 - h, y.1),
        ),
        (
            SeriesLabelPosition::LowerRight,
            (x.1 - w, x.1),
            (y.0, y.0 + h),
        ),
        (
            SeriesLabelPosition::LowerLeft,
            (x.0, x.0 + w),
            (y.0, y.0 + h),
        ),
    ];
    let inside = |bx: (f64, f64), by: (f64, f64)| {
        ink.iter()
            .filter(|p| p.0 >= bx.0 && p.0 <= bx.1 && p.1 >= by.0 && p.1 <= by.1)
            .count()
    };
    boxes
        .into_iter()
        .min_by_key(|(_, bx, by)| inside(*bx, *by))
        .map_or(SeriesLabelPosition::UpperRight, |b| b.0)
}

fn legend_box(x: i32, y: i32, color: RGBColor, s: f64) -> Rectangle<(i32, i32)> {
    let h = (6.0 * s) as i32;
    Rectangle::new([(x, y - h), (x + 3 * h, y + h)], color.filled())
}

/// Dashed horizontal segments from `x0` to `x1` at height `y`.
fn dashes(x0: f64, x1: f64, y: f64) -> Vec<((f64, f64), (f64, f64))> {
    let n = 60;
    let step = (x1 - x0) / n as f64;
    (0..n)
        .step_by(2)
        .map(|i| {
            let a = x0 + i as f64 * step;
            ((a, y), (a + step, y))
        })
        .collect()
}

/// A white-to-blue sequential colour for `t` in `[0, 1]`.
fn heat_color(t: f64) -> RGBColor {
    let (a, b) = ((247.0, 251.0, 255.0), (8.0, 48.0, 107.0));
    let mix = |p: f64, q: f64| (p + (q - p) * t).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn tick_name(names: &[String], v: f64, reversed: bool) -> String {
    let r = v.round();
    if (v - r).abs() > 1e-6 || r < 0.0 || r as usize >= names.len() {
        return String::new();
    }
    let i = if reversed {
        names.len() - 1 - r as usize
    } else {
        r as usize
    };
    names[i].clone()
}

fn min_max(it: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    it.filter(|v| v.is_finite()).fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((a, b)) => Some((a.min(v), b.max(v))),
    })
}

/// A short number: integers without decimals, others with up to 3 significant decimals.
fn fmt_num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 && v.abs() < 1e12 {
        format!("{}", v.round() as i64)
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Where [`Chart::saved`] writes: `$CODEFAIL_OUTPUTS`, else `outputs/` of the
/// project that holds the current directory (the nearest ancestor with a
/// `notebooks/` or `outputs/` folder), else `./outputs`.
///
/// ```
/// let d = codefail::plot::outputs_dir();
/// assert!(d.ends_with("outputs") || std::env::var("CODEFAIL_OUTPUTS").is_ok());
/// ```
pub fn outputs_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("CODEFAIL_OUTPUTS") {
        return PathBuf::from(d);
    }
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    for dir in cwd.ancestors() {
        if dir.join("outputs").is_dir()
            || (dir.join("notebooks").is_dir() && dir.join("Cargo.toml").is_file())
        {
            return dir.join("outputs");
        }
    }
    cwd.join("outputs")
}

// ---------------------------------------------------------------------------
// Frame helpers

/// Sums of the `values` columns per `series` value (or one series named
/// after the first value column) and `x` label, both in order of first
/// appearance: `(labels, series names, sums[series][label][value column])`.
/// A row with a null x, series or value is skipped.
fn group_sums(df: &DataFrame, x: &str, values: &[&str], series: Option<&str>) -> Result<GroupSums> {
    let xs = read::texts(df, x)?;
    let vs = values
        .iter()
        .map(|v| read::numbers(df, v))
        .collect::<Result<Vec<_>>>()?;
    let ss = match series {
        Some(s) => read::texts(df, s)?,
        None => vec![values.first().map(|v| v.to_string()); xs.len()],
    };
    let labels = distinct(&xs);
    let names = distinct(&ss);
    let mut sums = vec![vec![vec![0.0; values.len()]; labels.len()]; names.len()];
    for (row, (x, s)) in xs.iter().zip(&ss).enumerate() {
        let vals: Option<Vec<f64>> = vs.iter().map(|v| v[row]).collect();
        if let (Some(x), Some(s), Some(vals)) = (x, s, vals)
            && let (Some(i), Some(g)) = (
                labels.iter().position(|l| l == x),
                names.iter().position(|n| n == s),
            )
        {
            for (sum, v) in sums[g][i].iter_mut().zip(vals) {
                *sum += v;
            }
        }
    }
    Ok((labels, names, sums))
}

/// What [`group_sums`] gives.
type GroupSums = (Vec<String>, Vec<String>, Vec<Vec<Vec<f64>>>);

/// Distinct values in order of first appearance.
fn distinct(v: &[Option<String>]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    v.iter()
        .flatten()
        .filter(|s| seen.insert(s.as_str()))
        .cloned()
        .collect()
}

// ---------------------------------------------------------------------------
// Frame -> chart

/// Counts of each value of `category` (null rows, e.g. passed ones, are left
/// out), as horizontal bars sorted by total, stacked by the values of `by`
/// (e.g. `model` or a run label) when given.
///
/// ```
/// use polars::prelude::*;
/// let df = df!("category" => [Some("syntax"), None, Some("wrong_answer"), Some("wrong_answer")],
///              "model" => ["a", "a", "b", "a"]).unwrap();
/// let c = codefail::plot::category_bars(&df, "category", Some("model"), "Failures").unwrap();
/// assert!(c.svg().unwrap().contains("wrong_answer"));
/// ```
pub fn category_bars(
    df: &DataFrame,
    category: &str,
    by: Option<&str>,
    title: &str,
) -> Result<Chart> {
    let cats = read::texts(df, category)?;
    let groups = match by {
        Some(b) => read::texts(df, b)?,
        None => vec![Some(String::from("count")); cats.len()],
    };
    let mut counts: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    for (c, g) in cats.iter().zip(&groups) {
        if let Some(c) = c {
            *counts
                .entry(c.clone())
                .or_default()
                .entry(g.clone().unwrap_or_else(|| "null".into()))
                .or_default() += 1.0;
        }
    }
    let mut labels: Vec<String> = counts.keys().cloned().collect();
    labels.sort_by(|a, b| {
        let ta: f64 = counts[a].values().sum();
        let tb: f64 = counts[b].values().sum();
        tb.total_cmp(&ta).then(a.cmp(b))
    });
    // Series only for groups that have a counted row (passed rows, with a
    // null category, must not add an empty legend entry).
    let counted: Vec<Option<String>> = cats
        .iter()
        .zip(&groups)
        .filter(|(c, _)| c.is_some())
        .map(|(_, g)| Some(g.clone().unwrap_or_else(|| "null".into())))
        .collect();
    let group_names = distinct(&counted);
    let stacks = group_names
        .iter()
        .map(|g| {
            let vals = labels
                .iter()
                .map(|l| counts[l].get(g).copied().unwrap_or(0.0))
                .collect();
            (g.clone(), vals)
        })
        .collect();
    // Rows without a category are not drawn; the axis title says how many
    // (passed rows in a classified frame, failures out of the semantic
    // analysis's scope), so nothing is dropped silently.
    let missing = cats.iter().filter(|c| c.is_none()).count();
    let mut axis = category.replace('_', " ");
    if missing > 0 {
        axis.push_str(&format!(" ({missing} rows without one not drawn)"));
    }
    Ok(
        Chart::new(title, "rows (count)", &axis, Kind::HBars { labels, stacks })
            .size(960, (140 + 34 * counts.len() as u32).clamp(300, 900)),
    )
}

/// Grouped vertical bars of `value` for each `x` (one bar per `series`
/// value when given). Rows with a null x or value are skipped. One series
/// of non-negative values whose labels would overlap side by side (about
/// 7.5 px a character against each bar's share of the width) is drawn
/// sideways instead, the categories down the y axis, so every label reads
/// whole.
///
/// ```
/// use polars::prelude::*;
/// let df = df!("class" => ["syntax", "logic", "syntax"], "variant" => ["deep", "deep", "diverse"],
///              "n" => [3i64, 10, 1]).unwrap();
/// let c = codefail::plot::bars(&df, "class", "n", Some("variant"), "Errors").unwrap();
/// assert!(c.svg().unwrap().contains("diverse"));
/// ```
pub fn bars(
    df: &DataFrame,
    x: &str,
    value: &str,
    series: Option<&str>,
    title: &str,
) -> Result<Chart> {
    let (labels, names, sums) = group_sums(df, x, &[value], series)?;
    let groups: Vec<(String, Vec<f64>)> = names
        .into_iter()
        .zip(sums)
        .map(|(name, row)| (name, row.iter().map(|v| v[0]).collect()))
        .collect();
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0) as f64;
    let crowded = longest * 7.5 > 0.9 * 850.0 / labels.len().max(1) as f64;
    if crowded && groups.len() == 1 && groups.iter().all(|(_, v)| v.iter().all(|x| *x >= 0.0)) {
        let rows = labels.len() as u32;
        let mut chart = Chart::new(
            title,
            value,
            x,
            Kind::HBars {
                labels,
                stacks: groups,
            },
        )
        .size(960, (140 + 34 * rows).clamp(300, 900));
        chart.categories_on_y = true;
        return Ok(chart);
    }
    Ok(Chart::new(
        title,
        x,
        value,
        Kind::VBars {
            labels,
            groups,
            intervals: Vec::new(),
            y_max: None,
        },
    ))
}

/// Grouped vertical bars of a rate in percent, `100 * successes / n` summed
/// over the rows of each `x` (and `series` value), each with its 95% Wilson
/// interval as a whisker: for pass rates, crash rates and the like, where a
/// bar without its uncertainty would mislead. Rows with a null x, count or
/// total are skipped; a bar with `n = 0` is drawn at 0 with the whole range
/// as its interval. The y axis reads `successes / n (%, 95% Wilson interval)`
/// until [`Chart::with_axis_labels`] says otherwise.
///
/// ```
/// use polars::prelude::*;
/// let df = df!("turn" => [1i64, 2], "solved" => [3i64, 5], "n_tasks" => [10i64, 10]).unwrap();
/// let c = codefail::plot::rate_bars(&df, "turn", "solved", "n_tasks", None, "Solved within k turns").unwrap();
/// let svg = c.svg().unwrap();
/// assert!(svg.contains("95% Wilson interval"), "{svg}");
/// assert!(svg.contains("\n30\n") && svg.contains("\n50\n"));
/// ```
pub fn rate_bars(
    df: &DataFrame,
    x: &str,
    successes: &str,
    n: &str,
    series: Option<&str>,
    title: &str,
) -> Result<Chart> {
    let (labels, names, sums) = group_sums(df, x, &[successes, n], series)?;
    let mut groups = Vec::with_capacity(names.len());
    let mut intervals = Vec::with_capacity(names.len());
    for (name, row) in names.iter().zip(&sums) {
        let mut vals = Vec::with_capacity(row.len());
        let mut ivs = Vec::with_capacity(row.len());
        for kt in row {
            let (k, t) = (kt[0], kt[1]);
            let (k, t) = (k.round().max(0.0) as u64, t.round().max(0.0) as u64);
            let (lo, hi) = crate::metrics::wilson_interval(k.min(t), t, 1.96);
            vals.push(if t == 0 {
                0.0
            } else {
                100.0 * k as f64 / t as f64
            });
            ivs.push(Some((100.0 * lo, 100.0 * hi)));
        }
        groups.push((name.clone(), vals));
        intervals.push(ivs);
    }
    Ok(Chart::new(
        title,
        x,
        &format!("{successes} / {n} (%, 95% Wilson interval)"),
        Kind::VBars {
            labels,
            groups,
            intervals,
            y_max: None,
        },
    ))
}

/// Lines of `y` against numeric `x`, one per value of `series` (sorted by x).
/// With `band = Some((low, high))` a shaded confidence band is drawn.
///
/// Covers pass@k curves (`x = "k"`), checkpoint progressions
/// (`x = "checkpoint_step"`, `series = "variant"`) and gamma sweeps.
///
/// ```
/// use polars::prelude::*;
/// let df = df!("k" => [1i64, 5, 10], "pass_at_k" => [0.5, 0.7, 0.8], "model" => ["m", "m", "m"]).unwrap();
/// let c = codefail::plot::lines(&df, "k", "pass_at_k", Some("model"), None, "pass@k").unwrap();
/// assert!(c.svg().unwrap().contains("pass@k"));
/// ```
pub fn lines(
    df: &DataFrame,
    x: &str,
    y: &str,
    series: Option<&str>,
    band: Option<(&str, &str)>,
    title: &str,
) -> Result<Chart> {
    let xs = read::numbers(df, x)?;
    let ys = read::numbers(df, y)?;
    let ss = match series {
        Some(s) => read::texts(df, s)?,
        None => vec![Some(String::new()); xs.len()], // named after the y axis when drawn
    };
    let bands = match band {
        Some((lo, hi)) => Some((read::numbers(df, lo)?, read::numbers(df, hi)?)),
        None => None,
    };
    let names = distinct(&ss);
    let mut out: Vec<Series> = names
        .iter()
        .map(|n| Series {
            name: n.clone(),
            ..Default::default()
        })
        .collect();
    for i in 0..xs.len() {
        let (Some(xv), Some(yv), Some(s)) = (xs[i], ys[i], &ss[i]) else {
            continue;
        };
        let Some(k) = names.iter().position(|n| n == s) else {
            continue;
        };
        out[k].points.push((xv, yv));
        if let Some((lo, hi)) = &bands
            && let (Some(l), Some(h)) = (lo[i], hi[i])
        {
            out[k].band.push((xv, l, h));
        }
    }
    for s in &mut out {
        s.points.sort_by(|a, b| a.0.total_cmp(&b.0));
        s.band.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    Ok(Chart::line_chart(title, x, y, out))
}

/// A heatmap of `value` (null cells grey) with one row per distinct `row`
/// value and one column per distinct `col` value, both in order of first
/// appearance; several rows with the same cell are averaged. Used for
/// problem x checkpoint grids.
///
/// ```
/// use polars::prelude::*;
/// let df = df!("task_id" => ["a", "a", "b"], "checkpoint" => ["c1", "c2", "c1"], "passed" => [1.0, 0.0, 1.0]).unwrap();
/// let c = codefail::plot::heatmap(&df, "task_id", "checkpoint", "passed", "Solved").unwrap();
/// assert!(c.svg().unwrap().contains("c2"));
/// ```
pub fn heatmap(df: &DataFrame, row: &str, col: &str, value: &str, title: &str) -> Result<Chart> {
    let rs = read::texts(df, row)?;
    let cs = read::texts(df, col)?;
    let vs = read::numbers(df, value)?;
    let rows = distinct(&rs);
    let cols = distinct(&cs);
    let mut sums = vec![vec![(0.0, 0u32); cols.len()]; rows.len()];
    let ri: BTreeMap<&str, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.as_str(), i))
        .collect();
    let ci: BTreeMap<&str, usize> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_str(), i))
        .collect();
    for ((r, c), v) in rs.iter().zip(&cs).zip(&vs) {
        if let (Some(r), Some(c), Some(v)) = (r, c, v) {
            let cell = &mut sums[ri[r.as_str()]][ci[c.as_str()]];
            cell.0 += v;
            cell.1 += 1;
        }
    }
    let cells: Vec<Vec<Option<f64>>> = sums
        .iter()
        .map(|r| {
            r.iter()
                .map(|(s, n)| (*n > 0).then(|| s / *n as f64))
                .collect()
        })
        .collect();
    let range = min_max(cells.iter().flatten().flatten().copied()).unwrap_or((0.0, 1.0));
    let range = (range.0.min(0.0), range.1.max(range.0 + 1e-9));
    let height = (130 + 14 * rows.len() as u32).clamp(360, 1400);
    // Wide enough that column labels (11 px text, ~7 px a character) do not overlap.
    let longest_col = cols.iter().map(|c| c.chars().count()).max().unwrap_or(1) as u32;
    let longest_row = rows.iter().map(|r| r.chars().count()).max().unwrap_or(1) as u32;
    let width =
        (260 + longest_row * 8 + cols.len() as u32 * (longest_col * 7 + 10)).clamp(960, 2400);
    Ok(Chart::new(
        title,
        col,
        row,
        Kind::Heatmap {
            rows,
            cols,
            cells,
            range,
        },
    )
    .size(width, height))
}

/// ROC curves of a score predicting a boolean `label`, one per `series`
/// value, each with its AUC in the legend (ties in the score are handled by
/// moving diagonally, so the AUC equals the Mann-Whitney statistic).
///
/// ```
/// use polars::prelude::*;
/// let df = df!("score" => [0.9, 0.8, 0.3, 0.1], "failed" => [true, true, false, false]).unwrap();
/// let c = codefail::plot::roc(&df, "score", "failed", None, "ROC").unwrap();
/// assert!(c.svg().unwrap().contains("AUC 1.000"));
/// ```
pub fn roc(
    df: &DataFrame,
    score: &str,
    label: &str,
    series: Option<&str>,
    title: &str,
) -> Result<Chart> {
    let sc = read::numbers(df, score)?;
    let lb = read::texts(df, label)?;
    let ss = match series {
        Some(s) => read::texts(df, s)?,
        None => vec![Some(score.to_string()); sc.len()],
    };
    let mut out = vec![];
    for name in distinct(&ss) {
        let mut pts: Vec<(f64, bool)> = (0..sc.len())
            .filter(|&i| ss[i].as_deref() == Some(name.as_str()))
            .filter_map(|i| {
                let y = match lb[i].as_deref() {
                    Some("true") | Some("1") => true,
                    Some("false") | Some("0") => false,
                    _ => return None,
                };
                sc[i].filter(|v| v.is_finite()).map(|v| (v, y))
            })
            .collect();
        let (curve, auc) = roc_curve(&mut pts);
        out.push(Series {
            name: format!("{name} (AUC {auc:.3})"),
            points: curve,
            band: vec![],
        });
    }
    let mut c = Chart::line_chart(title, "false positive rate", "true positive rate", out)
        .with_y_range(0.0, 1.02)
        .size(640, 600);
    if let Kind::Lines { diagonal, .. } = &mut c.kind {
        *diagonal = true;
    }
    Ok(c)
}

/// The ROC curve of `(score, positive)` pairs and its area.
///
/// ```
/// let (curve, auc) = codefail::plot::roc_curve(&mut vec![(0.9, true), (0.1, false)]);
/// assert_eq!(auc, 1.0);
/// assert_eq!(curve.first(), Some(&(0.0, 0.0)));
/// ```
pub fn roc_curve(pts: &mut [(f64, bool)]) -> (Vec<(f64, f64)>, f64) {
    pts.sort_by(|a, b| b.0.total_cmp(&a.0));
    let p = pts.iter().filter(|x| x.1).count() as f64;
    let n = pts.len() as f64 - p;
    if p == 0.0 || n == 0.0 {
        return (vec![(0.0, 0.0), (1.0, 1.0)], f64::NAN);
    }
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut curve = vec![(0.0, 0.0)];
    let mut i = 0;
    while i < pts.len() {
        let s = pts[i].0;
        while i < pts.len() && pts[i].0 == s {
            if pts[i].1 {
                tp += 1.0;
            } else {
                fp += 1.0;
            }
            i += 1;
        }
        curve.push((fp / n, tp / p));
    }
    // The area under this curve (ties as diagonal steps) is the
    // Mann-Whitney statistic: the one AUROC of `metrics`.
    let (scores, labels): (Vec<f64>, Vec<bool>) = pts.iter().copied().unzip();
    (curve, crate::metrics::auroc(&scores, &labels))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_legend_goes_where_the_lines_are_not() {
        let corner = |pts: &[(f64, f64)]| {
            let ink = along(pts);
            match emptiest_corner(&ink, (0.0, 1.0), (0.0, 1.0)) {
                SeriesLabelPosition::UpperRight => "upper right",
                SeriesLabelPosition::UpperLeft => "upper left",
                SeriesLabelPosition::LowerRight => "lower right",
                SeriesLabelPosition::LowerLeft => "lower left",
                _ => "elsewhere",
            }
        };
        // A good ROC curve hugs the upper left; the diagonal crosses the
        // upper right and lower left: the lower right is free.
        let mut good = vec![(0.0, 0.0), (0.0, 0.9), (0.3, 1.0), (1.0, 1.0)];
        good.extend(along(&[(0.0, 0.0), (1.0, 1.0)]));
        assert_eq!(corner(&good), "lower right");
        // A flat line at the bottom leaves the upper right free.
        assert_eq!(corner(&[(0.0, 0.1), (1.0, 0.1)]), "upper right");
        // Rising from lower left to upper right, then flat: upper left.
        assert_eq!(corner(&[(0.0, 0.0), (0.6, 0.2), (1.0, 1.0)]), "upper left");
    }
}
