//! SVG line plots with plotters: labelled axes (with units), optional log scales, a legend,
//! and vertical or horizontal marker lines. No system fonts are needed (SVG text is laid out
//! by the viewer), so the figures are crisp in Markdown.

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
    /// Legend entry.
    pub name: String,
    /// `(x, y)` points; non-finite ones (and non-positive ones on a log axis) are skipped.
    pub points: Vec<(f64, f64)>,
    /// Draw points as circles instead of a line.
    pub markers: bool,
    /// Colour index (into a fixed palette); `None` uses the series' position.
    pub colour: Option<usize>,
}

impl Series {
    /// A line.
    pub fn line(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            name: name.into(),
            points,
            markers: false,
            colour: None,
        }
    }

    /// Markers only.
    pub fn markers(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            name: name.into(),
            points,
            markers: true,
            colour: None,
        }
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
    /// Marker lines (drawn dashed-thin, unlabeled; describe them in the caption).
    pub markers: Vec<Marker>,
    /// Force the y range (otherwise the data's).
    pub y_range: Option<(f64, f64)>,
    /// Set when a log axis is drawn as log10 values on a linear axis (see [`LinePlot::to_svg`]).
    decades: (bool, bool),
}

/// A log axis spanning more decades than this is drawn as log10 values on a linear axis with
/// ticks labelled `1eK`: plotters' own log axis stops labelling over very wide ranges.
const MAX_NATIVE_DECADES: f64 = 8.0;

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
        let wide_x = self.log_x && span(&mut points().map(|p| p.0)) > MAX_NATIVE_DECADES;
        let wide_y = self.log_y && span(&mut points().map(|p| p.1)) > MAX_NATIVE_DECADES;
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

    /// Renders to an SVG document of 720 × 440 px.
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
        let (x0, x1) = range(xs, self.log_x);
        let (y0, y1) = self
            .y_range
            .unwrap_or_else(|| range(points.iter().map(|p| p.1).collect(), self.log_y));
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (720, 440)).into_drawing_area();
            root.fill(&WHITE).map_err(draw_err)?;
            let mut builder = ChartBuilder::on(&root);
            builder
                .caption(&self.title, ("sans-serif", 18))
                .margin(12)
                .x_label_area_size(44)
                .y_label_area_size(72);
            match (self.log_x, self.log_y) {
                (false, false) => self.draw(builder, x0..x1, y0..y1),
                (true, false) => self.draw(builder, (x0..x1).log_scale(), y0..y1),
                (false, true) => self.draw(builder, x0..x1, (y0..y1).log_scale()),
                (true, true) => self.draw(builder, (x0..x1).log_scale(), (y0..y1).log_scale()),
            }?;
            root.present().map_err(draw_err)?;
        }
        Ok(svg)
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
            .label_style(("sans-serif", 13))
            .axis_desc_style(("sans-serif", 15))
            .light_line_style(WHITE.mix(0.0))
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
            let style = COLOURS[colour % COLOURS.len()].mix(0.45).stroke_width(1);
            chart
                .draw_series(DashedLineSeries::new(points, 6, 4, style))
                .map_err(draw_err)?;
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
            let anno = if s.markers {
                chart
                    .draw_series(pts.iter().map(|&p| Circle::new(p, 3, colour.filled())))
                    .map_err(draw_err)?
            } else {
                chart
                    .draw_series(LineSeries::new(pts, colour.stroke_width(2)))
                    .map_err(draw_err)?
            };
            if s.markers {
                anno.label(s.name.clone())
                    .legend(move |(x, y)| Circle::new((x + 9, y), 3, colour.filled()));
            } else {
                anno.label(s.name.clone()).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2))
                });
            }
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .label_font(("sans-serif", 13))
            .position(SeriesLabelPosition::LowerRight)
            .draw()
            .map_err(draw_err)?;
        Ok(())
    }
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
