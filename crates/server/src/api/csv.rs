//! `text/csv` representations: reports in long form (one row per
//! measure), for analysts' spreadsheets. Fields are quoted when they hold
//! a comma, quote or line break (RFC 4180), and lines end in CRLF.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use rapport_metrics::{Dashboard, Measure, Report};

/// The media type.
pub const TEXT_CSV: &str = "text/csv";

/// Whether the request asks for CSV (`Accept: text/csv`).
pub fn wanted(req: &HttpRequest) -> bool {
    req.headers()
        .get_all(header::ACCEPT)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| item.split(';').next().is_some_and(|t| t.trim().eq_ignore_ascii_case(TEXT_CSV)))
}

/// One CSV field.
pub fn field(raw: &str) -> String {
    if raw.contains([',', '"', '\n', '\r']) { format!("\"{}\"", raw.replace('"', "\"\"")) } else { raw.to_owned() }
}

/// One CSV line of `fields`.
pub fn line<S: AsRef<str>>(out: &mut String, fields: &[S]) {
    let joined: Vec<String> = fields.iter().map(|f| field(f.as_ref())).collect();
    out.push_str(&joined.join(","));
    out.push_str("\r\n");
}

/// 200 with a CSV body, offered as a file named `name`.csv.
pub fn respond(body: String, name: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.csv\"")))
        .body(body)
}

const REPORT_HEADER: [&str; 13] = [
    "kpi",
    "section",
    "bucket",
    "dimension",
    "key",
    "label",
    "measure",
    "unit",
    "value",
    "numerator",
    "denominator",
    "currency",
    "null_reason",
];

fn measure_line(out: &mut String, kpi: &str, section: &str, bucket: &str, group: (&str, &str, &str), m: &Measure) {
    let text = |v: &Option<_>| v.as_ref().map(ToString::to_string).unwrap_or_default();
    let unit = serde_json::to_value(m.unit).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
    line(
        out,
        &[
            kpi,
            section,
            bucket,
            group.0,
            group.1,
            group.2,
            &m.name,
            &unit,
            &text(&m.value),
            &text(&m.numerator),
            &m.denominator.map(|d| d.to_string()).unwrap_or_default(),
            m.currency.as_deref().unwrap_or_default(),
            m.null_reason.as_deref().unwrap_or_default(),
        ],
    );
}

fn report_lines(out: &mut String, report: &Report) {
    let kpi = report.kpi.as_str();
    for m in &report.measures {
        measure_line(out, kpi, "total", "", ("", "", ""), m);
    }
    for point in &report.series {
        let bucket = point.bucket.to_string();
        for m in &point.measures {
            measure_line(out, kpi, "series", &bucket, ("", "", ""), m);
        }
    }
    for row in &report.breakdown {
        for m in &row.measures {
            measure_line(out, kpi, "breakdown", "", (&row.dimension, &row.key, &row.label), m);
        }
    }
}

/// A report, one row per measure of the total, each series bucket and
/// each breakdown group.
pub fn report(report: &Report) -> String {
    let mut out = String::new();
    line(&mut out, &REPORT_HEADER);
    report_lines(&mut out, report);
    out
}

/// The dashboard: each tile's measures, as a report's totals.
pub fn dashboard(dashboard: &Dashboard) -> String {
    let mut out = String::new();
    line(&mut out, &REPORT_HEADER);
    for tile in &dashboard.tiles {
        for m in &tile.measures {
            measure_line(&mut out, tile.kpi.as_str(), "total", "", ("", "", ""), m);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_with_separators_are_quoted_and_quotes_doubled() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
    }
}
