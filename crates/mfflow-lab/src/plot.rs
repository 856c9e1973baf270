//! SVG line plots with plotters: labelled axes (with units), optional log scales, a legend,
//! and vertical or horizontal marker lines. No system fonts are needed (SVG text is laid out
//! by the viewer), so the figures are crisp in Markdown.
//!
//! Layout rules every figure follows: the legend sits in its own panel right of the plot area,
//! so it never covers data; every series is in the legend (one with nothing drawable says so
//! in its entry) and the dashed marker lines have an entry of their own; a logarithmic axis over
//! several decades is drawn as log10 values with every tick a labelled decade (`1eK`); the drawing is done on
//! a canvas [`SCALE`] times finer than the displayed size, so polylines keep sub-pixel detail
//! (plotters' SVG backend rounds coordinates to whole units).

use crate::{lab_err, Result};
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

/// Colours for successive series (Okabe–Ito, readable by colour-blind readers).
const COLOURS: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(120, 120, 120),
    RGBColor(0, 0, 0),
];

/// One curve: a name for the legend, its points, and whether to draw it dashed-looking
/// (thin) or as markers only.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend entry. An empty name gives no entry of its own: for a curve drawn in the colour
    /// of a listed series whose entry names it too (e.g. several modes at one alpha).
    pub name: String,
    /// `(x, y)` points; non-finite ones (and non-positive ones on a log axis) are skipped.
    pub points: Vec<(f64, f64)>,
    /// Draw points as circles instead of a line.
    pub markers: bool,
    /// Colour index (into a fixed palette); `None` uses the series' position.
    pub colour: Option<usize>,
    /// A confidence band `(x, lower, upper)` drawn shaded behind the series.
    pub band: Option<Vec<(f64, f64, f64)>>,
}

impl Series {
    /// A line.
    pub fn line(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            name: name.into(),
            points,
            markers: false,
            colour: None,
            band: None,
        }
    }

    /// Markers only.
    pub fn markers(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            name: name.into(),
            points,
            markers: true,
            colour: None,
            band: None,
        }
    }

    /// With a shaded confidence band `(x, lower, upper)`.
    pub fn with_band(mut self, band: Vec<(f64, f64, f64)>) -> Self {
        self.band = Some(band);
        self
    }

    /// With an explicit colour index.
    pub fn coloured(mut self, colour: usize) -> Self {
        self.colour = Some(colour);
        self
    }
}

/// A marker line across the plot: vertical at `x` or horizontal at `y`.
#[derive(Debug, Clone)]
pub enum Marker {
    /// Vertical line at this x, in the colour of a series index.
    Vertical(f64, usize),
    /// Horizontal line at this y, in the colour of a series index.
    Horizontal(f64, usize),
}

/// A line plot.
#[derive(Debug, Clone)]
pub struct LinePlot {
    /// Title above the plot.
    pub title: String,
    /// x-axis label, with units.
    pub x_label: String,
    /// y-axis label, with units.
    pub y_label: String,
    /// Logarithmic x axis.
    pub log_x: bool,
    /// Logarithmic y axis.
    pub log_y: bool,
    /// The curves.
    pub series: Vec<Series>,
    /// Marker lines (drawn dashed-thin; one legend entry, [`LinePlot::marker_label`], says
    /// what they are; the caption gives the details).
    pub markers: Vec<Marker>,
    /// The legend entry of the marker lines.
    pub marker_label: String,
    /// Force the y range (otherwise the data's).
    pub y_range: Option<(f64, f64)>,
    /// Set when a log axis is drawn as log10 values on a linear axis (see [`LinePlot::to_svg`]).
    decades: (bool, bool),
}

/// A log axis spanning at least this many decades is drawn as log10 values on a linear axis
/// with every tick a whole decade labelled `1eK`: plotters' own log axis leaves decades
/// unlabelled (none above `0.1` on some figures) and stops labelling over wide ranges. Narrower
/// log axes keep plotters' labels (`4`, `10`, `20`, …).
const MAX_NATIVE_DECADES: f64 = 2.5;

/// Opacity of a confidence band's fill (its edges are drawn as thin lines too).
const BAND_OPACITY: f64 = 0.3;

/// The drawing is made on a canvas this many times finer than the displayed size.
const SCALE: u32 = 4;
/// Displayed size: the plot area and the legend panel to its right.
const PLOT_WIDTH: u32 = 700;
const LEGEND_WIDTH: u32 = 280;
const HEIGHT: u32 = 460;

impl LinePlot {
    /// An empty plot with a title and axis labels.
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> Self {
        Self {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            log_x: false,
            log_y: false,
            series: Vec::new(),
            markers: Vec::new(),
            marker_label: "dashed: reference lines (see the caption)".into(),
            y_range: None,
            decades: (false, false),
        }
    }

    /// The same plot with each log axis spanning more than [`MAX_NATIVE_DECADES`] turned into
    /// a linear axis of log10 values.
    fn with_wide_log_axes_as_decades(&self) -> Self {
        let span = |values: &mut dyn Iterator<Item = f64>| {
            let (lo, hi) = values
                .filter(|v| v.is_finite() && *v > 0.0)
                .fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
                    (lo.min(v), hi.max(v))
                });
            if hi > 0.0 {
                (hi / lo).log10()
            } else {
                0.0
            }
        };
        let points = || self.series.iter().flat_map(|s| s.points.iter().copied());
        let wide_x = self.log_x && span(&mut points().map(|p| p.0)) >= MAX_NATIVE_DECADES;
        let wide_y = self.log_y && span(&mut points().map(|p| p.1)) >= MAX_NATIVE_DECADES;
        let mut out = self.clone();
        let log10 = |v: f64| if v > 0.0 { v.log10() } else { f64::NAN };
        for s in &mut out.series {
            for p in &mut s.points {
                if wide_x {
                    p.0 = log10(p.0);
                }
                if wide_y {
                    p.1 = log10(p.1);
                }
            }
            if let Some(band) = &mut s.band {
                for b in band.iter_mut() {
                    if wide_x {
                        b.0 = log10(b.0);
                    }
                    if wide_y {
                        b.1 = log10(b.1);
                        b.2 = log10(b.2);
                    }
                }
            }
        }
        for m in &mut out.markers {
            match m {
                Marker::Vertical(x, _) if wide_x => *x = log10(*x),
                Marker::Horizontal(y, _) if wide_y => *y = log10(*y),
                _ => {}
            }
        }
        if wide_y {
            out.y_range = self.y_range.map(|(a, b)| (log10(a), log10(b)));
        }
        out.log_x &= !wide_x;
        out.log_y &= !wide_y;
        out.decades = (wide_x, wide_y);
        out
    }

    /// Renders to an SVG document of 980 × 460 px (plot area and legend panel).
    pub fn to_svg(&self) -> Result<String> {
        if !self.decades.0 && !self.decades.1 && (self.log_x || self.log_y) {
            let transformed = self.with_wide_log_axes_as_decades();
            if transformed.decades != (false, false) {
                return transformed.to_svg();
            }
        }
        let keep = |x: f64, log: bool| x.is_finite() && (!log || x > 0.0);
        let points: Vec<(f64, f64)> = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().copied())
            .filter(|&(x, y)| keep(x, self.log_x) && keep(y, self.log_y))
            .collect();
        if points.is_empty() {
            return Err(lab_err!("plot `{}` has no drawable points", self.title));
        }
        let range = |values: Vec<f64>, log: bool| {
            let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if log {
                let (lo, hi) = if hi > lo {
                    (lo, hi)
                } else {
                    (lo / 10.0, hi * 10.0)
                };
                (lo / 1.5, hi * 1.5)
            } else {
                let pad = if hi > lo { 0.04 * (hi - lo) } else { 1.0 };
                (lo - pad, hi + pad)
            }
        };
        let mut xs: Vec<f64> = points.iter().map(|p| p.0).collect();
        for m in &self.markers {
            if let Marker::Vertical(x, _) = m {
                if keep(*x, self.log_x) {
                    xs.push(*x);
                }
            }
        }
        // A decades axis ends on whole decades, so every curve lies between labelled ticks.
        let whole = |(a, b): (f64, f64), decades: bool| {
            if decades && b - a >= 1.0 {
                ((a + 1e-9).floor(), (b - 1e-9).ceil())
            } else {
                (a, b)
            }
        };
        let (x0, x1) = whole(range(xs, self.log_x), self.decades.0);
        let (y0, y1) = self.y_range.unwrap_or_else(|| {
            whole(
                range(points.iter().map(|p| p.1).collect(), self.log_y),
                self.decades.1,
            )
        });
        let mut svg = String::new();
        let (w, h) = ((PLOT_WIDTH + LEGEND_WIDTH) * SCALE, HEIGHT * SCALE);
        {
            let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
            root.fill(&WHITE).map_err(draw_err)?;
            let (plot_area, legend_area) = root.split_horizontally(PLOT_WIDTH * SCALE);
            self.draw_legend(&legend_area)?;
            let mut builder = ChartBuilder::on(&plot_area);
            builder
                .caption(&self.title, ("sans-serif", px(17)))
                .margin(px(12))
                .x_label_area_size(px(46))
                .y_label_area_size(px(74));
            match (self.log_x, self.log_y) {
                (false, false) => self.draw(builder, x0..x1, y0..y1),
                (true, false) => self.draw(builder, (x0..x1).log_scale(), y0..y1),
                (false, true) => self.draw(builder, x0..x1, (y0..y1).log_scale()),
                (true, true) => self.draw(builder, (x0..x1).log_scale(), (y0..y1).log_scale()),
            }?;
            root.present().map_err(draw_err)?;
        }
        // Display at the logical size; the viewBox keeps the fine canvas.
        let fine = format!("<svg width=\"{w}\" height=\"{h}\"");
        let shown = format!(
            "<svg width=\"{}\" height=\"{}\"",
            PLOT_WIDTH + LEGEND_WIDTH,
            HEIGHT
        );
        if !svg.starts_with(&fine) {
            return Err(lab_err!("unexpected SVG header from plotters"));
        }
        Ok(svg.replacen(&fine, &shown, 1))
    }

    /// The legend panel: one entry per series (a line, a marker or a shaded band sample and
    /// its name, wrapped), then the marker lines' entry.
    fn draw_legend(
        &self,
        area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    ) -> Result<()> {
        let font = ("sans-serif", px(13)).into_font();
        let line_height = 17;
        let mut y = 40i32;
        let x = 10i32;
        let at = |x: i32, y: i32| (x * SCALE as i32, y * SCALE as i32);
        for (k, s) in self.series.iter().enumerate() {
            if s.name.is_empty() {
                continue;
            }
            let colour = COLOURS[s.colour.unwrap_or(k) % COLOURS.len()];
            let drawable = s.points.iter().any(|&(a, b)| {
                a.is_finite()
                    && b.is_finite()
                    && (!self.log_x || a > 0.0)
                    && (!self.log_y || b > 0.0)
            });
            let mut name = s.name.clone();
            if !drawable {
                name.push_str(" (no point drawable on this scale)");
            }
            if s.band.is_some() {
                area.draw(&Rectangle::new(
                    [at(x, y - 5), at(x + 22, y + 5)],
                    colour.mix(BAND_OPACITY).filled(),
                ))
                .map_err(draw_err)?;
            }
            if s.markers {
                area.draw(&Circle::new(at(x + 11, y), px(3), colour.filled()))
                    .map_err(draw_err)?;
            } else {
                area.draw(&PathElement::new(
                    vec![at(x, y), at(x + 22, y)],
                    colour.stroke_width(px(2)),
                ))
                .map_err(draw_err)?;
            }
            for (i, part) in wrap(&name, 34).iter().enumerate() {
                let ty = y - 6 + i as i32 * line_height;
                area.draw(&Text::new(part.clone(), at(x + 30, ty), font.clone()))
                    .map_err(draw_err)?;
            }
            y += line_height * wrap(&name, 34).len() as i32 + 8;
        }
        if !self.markers.is_empty() {
            // The swatch is in the markers' colour when they share one (grey when they take
            // the colours of several curves).
            let colour = match self.marker_colour() {
                Some(c) => COLOURS[c % COLOURS.len()].mix(0.8),
                None => COLOURS[6].mix(0.6),
            };
            for (a, b) in [(0, 8), (13, 22)] {
                area.draw(&PathElement::new(
                    vec![at(x + a, y), at(x + b, y)],
                    colour.stroke_width(px(1)),
                ))
                .map_err(draw_err)?;
            }
            for (i, part) in wrap(&self.marker_label, 34).iter().enumerate() {
                let ty = y - 6 + i as i32 * line_height;
                area.draw(&Text::new(part.clone(), at(x + 30, ty), font.clone()))
                    .map_err(draw_err)?;
            }
        }
        Ok(())
    }

    fn draw<X, Y>(
        &self,
        mut builder: ChartBuilder<'_, '_, SVGBackend<'_>>,
        x: X,
        y: Y,
    ) -> Result<()>
    where
        X: AsRangedCoord<Value = f64>,
        Y: AsRangedCoord<Value = f64>,
        X::CoordDescType: ValueFormatter<f64>,
        Y::CoordDescType: ValueFormatter<f64>,
    {
        let mut chart = builder.build_cartesian_2d(x, y).map_err(draw_err)?;
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .label_style(("sans-serif", px(13)))
            .axis_desc_style(("sans-serif", px(15)))
            .axis_style(BLACK.stroke_width(px(1)))
            .bold_line_style(BLACK.mix(0.08).stroke_width(px(1)))
            .set_all_tick_mark_size(px(4))
            .light_line_style(WHITE.mix(0.0))
            .x_labels(self.label_count(true))
            .y_labels(self.label_count(false))
            .x_label_formatter(&|v| tick(*v, self.decades.0))
            .y_label_formatter(&|v| tick(*v, self.decades.1))
            .draw()
            .map_err(draw_err)?;
        let x_range = chart.x_range();
        let y_range = chart.y_range();
        for m in &self.markers {
            let (points, colour) = match *m {
                Marker::Vertical(x, c) => (vec![(x, y_range.start), (x, y_range.end)], c),
                Marker::Horizontal(y, c) => (vec![(x_range.start, y), (x_range.end, y)], c),
            };
            let style = COLOURS[colour % COLOURS.len()]
                .mix(0.45)
                .stroke_width(px(1));
            chart
                .draw_series(DashedLineSeries::new(points, px(6), px(4), style))
                .map_err(draw_err)?;
        }
        for (k, s) in self.series.iter().enumerate() {
            let colour = COLOURS[s.colour.unwrap_or(k) % COLOURS.len()];
            if let Some(band) = &s.band {
                let ok = |v: f64, log: bool| v.is_finite() && (!log || v > 0.0);
                let b: Vec<&(f64, f64, f64)> = band
                    .iter()
                    .filter(|p| ok(p.0, self.log_x) && ok(p.1, self.log_y) && ok(p.2, self.log_y))
                    .collect();
                let mut poly: Vec<(f64, f64)> = b.iter().map(|p| (p.0, p.2)).collect();
                poly.extend(b.iter().rev().map(|p| (p.0, p.1)));
                if poly.len() >= 3 {
                    chart
                        .draw_series(std::iter::once(Polygon::new(
                            poly,
                            colour.mix(BAND_OPACITY).filled(),
                        )))
                        .map_err(draw_err)?;
                    // The band's edges as thin lines: a narrow band stays visible.
                    for edge in [
                        b.iter().map(|p| (p.0, p.1)).collect::<Vec<_>>(),
                        b.iter().map(|p| (p.0, p.2)).collect(),
                    ] {
                        chart
                            .draw_series(LineSeries::new(
                                edge,
                                colour.mix(0.7).stroke_width(px(1) / 2),
                            ))
                            .map_err(draw_err)?;
                    }
                }
            }
        }
        for (k, s) in self.series.iter().enumerate() {
            let colour = COLOURS[s.colour.unwrap_or(k) % COLOURS.len()];
            let pts: Vec<(f64, f64)> = s
                .points
                .iter()
                .copied()
                .filter(|&(a, b)| {
                    a.is_finite()
                        && b.is_finite()
                        && (!self.log_x || a > 0.0)
                        && (!self.log_y || b > 0.0)
                })
                .collect();
            if s.markers {
                chart
                    .draw_series(pts.iter().map(|&p| Circle::new(p, px(3), colour.filled())))
                    .map_err(draw_err)?;
            } else {
                chart
                    .draw_series(LineSeries::new(pts, colour.stroke_width(px(2))))
                    .map_err(draw_err)?;
            }
        }
        Ok(())
    }
}

impl LinePlot {
    /// The colour index every marker line shares, if they share one.
    fn marker_colour(&self) -> Option<usize> {
        let colour = |m: &Marker| match *m {
            Marker::Vertical(_, c) | Marker::Horizontal(_, c) => c % COLOURS.len(),
        };
        let first = colour(self.markers.first()?);
        self.markers
            .iter()
            .all(|m| colour(m) == first)
            .then_some(first)
    }

    /// How many tick labels an axis asks plotters for: on a decades axis spanning two or more
    /// decades, few enough that the step is a whole number of decades (plotters picks the finest
    /// 1-2-5 step that fits), so every label is an exact power of ten.
    fn label_count(&self, x: bool) -> usize {
        let decades = if x { self.decades.0 } else { self.decades.1 };
        if !decades {
            return 10;
        }
        let values =
            self.series
                .iter()
                .flat_map(|s| s.points.iter())
                .map(|p| if x { p.0 } else { p.1 });
        let (lo, hi) = values
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
        let span = hi - lo;
        if span >= 2.0 {
            (span.floor() as usize + 1).min(12)
        } else {
            10
        }
    }
}

/// A length of the displayed figure in units of the fine canvas.
fn px(v: u32) -> u32 {
    v * SCALE
}

/// `text` broken into lines of at most `width` characters at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let last = lines.last_mut().expect("non-empty");
        if !last.is_empty() && last.chars().count() + 1 + word.chars().count() > width {
            lines.push(word.to_string());
        } else {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(word);
        }
    }
    lines
}

fn tick(v: f64, decades: bool) -> String {
    if !decades {
        crate::output::short(v, 2)
    } else if (v - v.round()).abs() < 1e-9 {
        format!("1e{}", v.round() as i64)
    } else {
        format!("1e{v:.1}")
    }
}

fn draw_err<E: std::fmt::Debug>(e: E) -> crate::LabError {
    lab_err!("drawing failed: {e:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_linear_and_log_plots() {
        let mut plot = LinePlot::new("test", "t (time units)", "value");
        plot.series.push(Series::line(
            "a",
            vec![(1.0, 1e-6), (2.0, 1e-3), (3.0, 1.0)],
        ));
        plot.series.push(Series::markers("b", vec![(1.5, 0.5)]));
        plot.markers.push(Marker::Vertical(2.5, 0));
        let linear = plot.to_svg().unwrap();
        assert!(linear.starts_with("<svg") && linear.contains("t (time units)"));
        plot.log_y = true;
        let log = plot.to_svg().unwrap();
        assert!(log.contains("<polyline") || log.contains("<path"));
        // Deterministic output.
        assert_eq!(log, plot.to_svg().unwrap());
        // A log axis over 60 decades is drawn as decades with labels down to the bottom.
        let mut wide = LinePlot::new("wide", "t", "w");
        wide.log_y = true;
        wide.series
            .push(Series::line("a", vec![(0.0, 1e-60), (1.0, 1.0)]));
        let svg = wide.to_svg().unwrap();
        assert!(
            svg.contains("1e-60") || svg.contains("1e-50"),
            "decade labels missing"
        );
        let empty = LinePlot::new("empty", "x", "y");
        assert!(empty.to_svg().is_err());
    }
}
