//! A tiny aligned plain-text table: columns separated by two spaces, no trailing blanks.

/// Rows of cells under a header line.
pub(crate) struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headers.
    pub(crate) fn new(headers: &[&str]) -> Self {
        Table {
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; newlines in cells become spaces so that every row stays on one line.
    pub(crate) fn row(&mut self, cells: Vec<String>) {
        self.rows.push(
            cells
                .into_iter()
                .map(|c| c.split_whitespace().collect::<Vec<_>>().join(" "))
                .collect(),
        );
    }

    /// The table as text, one line per row, each ending in a newline.
    pub(crate) fn render(&self) -> String {
        let columns = self
            .rows
            .iter()
            .map(Vec::len)
            .chain([self.headers.len()])
            .max()
            .unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|i| {
                std::iter::once(&self.headers)
                    .chain(&self.rows)
                    .filter_map(|line| line.get(i))
                    .map(|cell| cell.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        for line in std::iter::once(&self.headers).chain(&self.rows) {
            let mut text = String::new();
            for (i, (cell, width)) in line.iter().zip(&widths).enumerate() {
                if i > 0 {
                    text.push_str("  ");
                }
                text.push_str(cell);
                text.extend(std::iter::repeat_n(' ', width - cell.chars().count()));
            }
            out.push_str(text.trim_end());
            out.push('\n');
        }
        out
    }

    /// The table as CSV (RFC 4180): a header line, then one line per row; cells with commas, quotes or line
    /// breaks are quoted.
    pub(crate) fn csv(&self) -> String {
        let line = |cells: &[String]| {
            let quoted: Vec<String> = cells
                .iter()
                .map(|c| {
                    if c.contains([',', '"', '\n', '\r']) {
                        format!("\"{}\"", c.replace('"', "\"\""))
                    } else {
                        c.clone()
                    }
                })
                .collect();
            quoted.join(",") + "\r\n"
        };
        std::iter::once(&self.headers)
            .chain(&self.rows)
            .map(|cells| line(cells))
            .collect()
    }

    /// The table as a Markdown (GitHub) table; pipes in cells are escaped.
    pub(crate) fn markdown(&self) -> String {
        let line = |cells: &[String]| {
            let escaped: Vec<String> = cells.iter().map(|c| c.replace('|', "\\|")).collect();
            format!("| {} |\n", escaped.join(" | "))
        };
        let rule = vec!["---".to_string(); self.headers.len()];
        let mut out = line(&self.headers);
        out.push_str(&line(&rule));
        for row in &self.rows {
            out.push_str(&line(row));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_columns_without_trailing_blanks() {
        let mut t = Table::new(&["NAME", "PORTS", "NOTE"]);
        t.row(vec!["kube-apiserver".into(), "6443".into(), "".into()]);
        t.row(vec!["etcd".into(), "2379-2380".into(), "two\nlines".into()]);
        t.row(vec!["é".into(), "1".into(), "x".into()]);
        assert_eq!(
            t.render(),
            "NAME            PORTS      NOTE\n\
             kube-apiserver  6443\n\
             etcd            2379-2380  two lines\n\
             é               1          x\n"
        );
    }

    #[test]
    fn csv_quotes_and_markdown_escapes() {
        let mut t = Table::new(&["KEY", "PURPOSES"]);
        t.row(vec!["a->b:tcp:1".into(), "x, y".into()]);
        t.row(vec!["q".into(), "say \"hi\"|no".into()]);
        assert_eq!(
            t.csv(),
            "KEY,PURPOSES\r\na->b:tcp:1,\"x, y\"\r\nq,\"say \"\"hi\"\"|no\"\r\n"
        );
        assert_eq!(
            t.markdown(),
            "| KEY | PURPOSES |\n| --- | --- |\n| a->b:tcp:1 | x, y |\n| q | say \"hi\"\\|no |\n"
        );
    }
}
