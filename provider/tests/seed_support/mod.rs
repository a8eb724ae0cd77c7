//! The expected-row type the seed tests write their tables with.

/// One expected row of a port table: from, to, protocol, port, and the option values it applies under.
pub struct Row {
    pub from: &'static str,
    pub to: &'static str,
    pub proto: &'static str,
    pub port: &'static str,
    pub when: &'static [(&'static str, &'static str)],
}

/// A row that always applies.
pub const fn row(
    from: &'static str,
    to: &'static str,
    proto: &'static str,
    port: &'static str,
) -> Row {
    Row {
        from,
        to,
        proto,
        port,
        when: &[],
    }
}

/// A row that applies when every listed option has the listed value.
pub const fn row_if(
    from: &'static str,
    to: &'static str,
    proto: &'static str,
    port: &'static str,
    when: &'static [(&'static str, &'static str)],
) -> Row {
    Row {
        from,
        to,
        proto,
        port,
        when,
    }
}
