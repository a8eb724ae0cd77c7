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
        let mut widths = vec![0; columns];
        for line in std::iter::once(&self.headers).chain(&self.rows) {
            for (i, cell) in line.iter().enumerate() {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let mut out = String::new();
        for line in std::iter::once(&self.headers).chain(&self.rows) {
            let mut text = String::new();
            for (i, cell) in line.iter().enumerate() {
                if i > 0 {
                    text.push_str("  ");
                }
                text.push_str(cell);
                text.extend(std::iter::repeat_n(' ', widths[i] - cell.chars().count()));
            }
            out.push_str(text.trim_end());
            out.push('\n');
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
}
