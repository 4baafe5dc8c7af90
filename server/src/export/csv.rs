//! The CSV form of an export (RFC 4180), written so that a spreadsheet shows it as text: cells
//! that would read as formulas are defused.

use super::rows::{EndUserLine, ReviewLine};
use serde_json::Value;

/// The CSV columns; reviews fill rating / verdict, end-user feedback fills feedback_type / value.
pub const CSV_HEADER: [&str; 21] = [
    "source",
    "feedback_id",
    "task_id",
    "external_id",
    "model",
    "model_version",
    "confidence",
    "reason",
    "author",
    "rating",
    "verdict",
    "feedback_type",
    "value",
    "comment",
    "corrected_summary",
    "edit_distance",
    "seconds_spent",
    "created_at",
    "summary",
    "document",
    // Last, so the columns of exports made before projects keep their places.
    "project",
];

/// A CSV cell: text that may come from a person or a model, or a number Loupe produced.
pub enum Cell<'a> {
    Text(&'a str),
    Number(String),
    Empty,
}

impl ReviewLine {
    pub fn csv(&self) -> [Cell<'_>; 21] {
        [
            Cell::Text(&self.source),
            Cell::Number(self.feedback_id.to_string()),
            Cell::Number(self.task_id.to_string()),
            opt(&self.external_id),
            Cell::Text(&self.model),
            Cell::Text(&self.model_version),
            Cell::Number(self.confidence.to_string()),
            Cell::Text(&self.reason),
            Cell::Text(&self.reviewer),
            Cell::Number(self.rating.to_string()),
            Cell::Text(&self.verdict),
            Cell::Empty,
            Cell::Empty,
            opt(&self.comment),
            opt(&self.corrected_summary),
            self.edit_distance
                .map(|d| Cell::Number(format!("{d:.4}")))
                .unwrap_or(Cell::Empty),
            Cell::Number(self.seconds_spent.to_string()),
            Cell::Number(self.created_at.to_rfc3339()),
            Cell::Text(&self.summary),
            Cell::Text(&self.document),
            Cell::Text(&self.project),
        ]
    }
}

impl EndUserLine {
    pub fn csv(&self) -> [Cell<'_>; 21] {
        let value = match &self.value {
            None | Some(Value::Null) => Cell::Empty,
            Some(Value::String(s)) => Cell::Text(s),
            // Numbers and booleans from the API, written the way JSON writes them.
            Some(other) => Cell::Number(other.to_string()),
        };
        [
            Cell::Text(&self.source),
            Cell::Number(self.feedback_id.to_string()),
            Cell::Number(self.task_id.to_string()),
            opt(&self.external_id),
            Cell::Text(&self.model),
            Cell::Text(&self.model_version),
            Cell::Number(self.confidence.to_string()),
            Cell::Text(&self.reason),
            Cell::Text(&self.user_id),
            Cell::Empty,
            Cell::Empty,
            Cell::Text(&self.feedback_type),
            value,
            opt(&self.comment),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Number(self.created_at.to_rfc3339()),
            Cell::Empty,
            Cell::Empty,
            Cell::Text(&self.project),
        ]
    }
}

fn opt(value: &Option<String>) -> Cell<'_> {
    value.as_deref().map(Cell::Text).unwrap_or(Cell::Empty)
}

/// Writes one CSV record (RFC 4180: quoted where needed, CRLF line ends).
pub fn csv_row(out: &mut Vec<u8>, cells: &[Cell<'_>]) {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        match cell {
            Cell::Empty => {}
            Cell::Number(n) => out.extend_from_slice(n.as_bytes()),
            Cell::Text(t) => csv_text(out, t),
        }
    }
    out.extend_from_slice(b"\r\n");
}

/// A text cell. Text starting with `=`, `+`, `-`, `@`, tab or carriage return would be read as a
/// formula by spreadsheet programs (CSV injection), so it gets a leading `'`, which they show as
/// text; the cell is then always quoted.
fn csv_text(out: &mut Vec<u8>, text: &str) {
    let formula = text.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let needs_quotes = formula
        || text.contains([',', '"', '\n', '\r'])
        || text.starts_with(' ')
        || text.ends_with(' ');
    if !needs_quotes {
        out.extend_from_slice(text.as_bytes());
        return;
    }
    out.push(b'"');
    if formula {
        out.push(b'\'');
    }
    for b in text.bytes() {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(cells: &[Cell<'_>]) -> String {
        let mut out = Vec::new();
        csv_row(&mut out, cells);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn csv_quotes_what_needs_quoting_and_defuses_formulas() {
        assert_eq!(
            csv(&[
                Cell::Text("plain"),
                Cell::Text("a,b"),
                Cell::Text("say \"hi\""),
                Cell::Empty
            ]),
            "plain,\"a,b\",\"say \"\"hi\"\"\",\r\n"
        );
        assert_eq!(
            csv(&[
                Cell::Text("=HYPERLINK(\"x\")"),
                Cell::Text("+1"),
                Cell::Text("-2"),
                Cell::Text("@SUM(A1)")
            ]),
            "\"'=HYPERLINK(\"\"x\"\")\",\"'+1\",\"'-2\",\"'@SUM(A1)\"\r\n"
        );
        assert_eq!(
            csv(&[Cell::Text("two\nlines"), Cell::Number("-1".into())]),
            "\"two\nlines\",-1\r\n"
        );
    }
}
