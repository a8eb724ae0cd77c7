//! Sets of ports (or ICMP types) as sorted, disjoint, non-touching inclusive ranges.

use crate::catalog::PortRange;
use std::fmt;

/// A set of port numbers (or ICMP types): the normal form of any list of ranges.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PortSet(Vec<PortRange>);

impl PortSet {
    /// The set of the given ranges, in normal form whatever their order and overlaps.
    pub fn of(ranges: impl IntoIterator<Item = PortRange>) -> Self {
        let mut all: Vec<PortRange> = ranges.into_iter().filter(|r| r.from <= r.to).collect();
        all.sort();
        let mut out: Vec<PortRange> = Vec::new();
        for range in all {
            match out.last_mut() {
                Some(last) if u32::from(range.from) <= u32::from(last.to) + 1 => {
                    last.to = last.to.max(range.to);
                }
                _ => out.push(range),
            }
        }
        PortSet(out)
    }

    /// One range.
    pub fn range(from: u16, to: u16) -> Self {
        Self::of([PortRange { from, to }])
    }

    /// Whether the set holds no port.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every port of `self` or of `other`.
    pub fn union(&self, other: &PortSet) -> PortSet {
        Self::of(self.0.iter().chain(&other.0).copied())
    }

    /// The ports of `self` that are not in `other`.
    pub fn minus(&self, other: &PortSet) -> PortSet {
        let mut out = Vec::new();
        for range in &self.0 {
            // Walk `other` (sorted) and keep the gaps it leaves in `range`.
            let mut next = u32::from(range.from);
            let end = u32::from(range.to);
            for cut in &other.0 {
                let (from, to) = (u32::from(cut.from), u32::from(cut.to));
                if to < next || from > end {
                    continue;
                }
                if from > next {
                    out.push(span(next, from - 1));
                }
                next = to + 1;
            }
            if next <= end {
                out.push(span(next, end));
            }
        }
        PortSet(out)
    }

    /// The ports in both sets.
    pub fn intersection(&self, other: &PortSet) -> PortSet {
        self.minus(&self.minus(other))
    }

    /// Whether the two sets share a port.
    pub fn overlaps(&self, other: &PortSet) -> bool {
        self.0
            .iter()
            .any(|a| other.0.iter().any(|b| a.from <= b.to && b.from <= a.to))
    }
}

/// A range from bounds that came from `u16`s.
fn span(from: u32, to: u32) -> PortRange {
    let clamp = |n: u32| u16::try_from(n).unwrap_or(u16::MAX);
    PortRange {
        from: clamp(from),
        to: clamp(to),
    }
}

impl fmt::Display for PortSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&parts.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn set(ranges: &[(u16, u16)]) -> PortSet {
        PortSet::of(ranges.iter().map(|&(from, to)| PortRange { from, to }))
    }

    #[test]
    fn normal_form_merges_touching_and_overlapping_ranges() {
        assert_eq!(
            set(&[(10, 12), (1, 3), (4, 4), (11, 20)]).to_string(),
            "1-4,10-20"
        );
        assert_eq!(set(&[(65535, 65535), (0, 65535)]).to_string(), "0-65535");
        assert!(set(&[(5, 4)]).is_empty());
    }

    #[test]
    fn difference_leaves_the_gaps() {
        let all = set(&[(0, 65535)]);
        assert_eq!(
            all.minus(&set(&[(2380, 2380)])).to_string(),
            "0-2379,2381-65535"
        );
        assert_eq!(
            set(&[(442, 444)]).minus(&set(&[(443, 443)])).to_string(),
            "442,444"
        );
        assert_eq!(set(&[(80, 80)]).minus(&all).to_string(), "");
        assert_eq!(
            set(&[(1, 10), (20, 30)])
                .minus(&set(&[(5, 25)]))
                .to_string(),
            "1-4,26-30"
        );
    }

    #[test]
    fn overlap() {
        assert!(set(&[(1, 10)]).overlaps(&set(&[(10, 20)])));
        assert!(!set(&[(1, 10)]).overlaps(&set(&[(11, 20)])));
    }

    fn arb_set() -> impl Strategy<Value = PortSet> {
        prop::collection::vec((0u16..120, 0u16..15), 0..6).prop_map(|pairs| {
            PortSet::of(pairs.into_iter().map(|(from, width)| PortRange {
                from,
                to: from + width,
            }))
        })
    }

    fn members(s: &PortSet) -> Vec<u16> {
        s.0.iter().flat_map(|r| r.from..=r.to).collect()
    }

    proptest! {
        #[test]
        fn set_operations_match_membership(a in arb_set(), b in arb_set()) {
            for port in 0u16..140 {
                let in_a = members(&a).contains(&port);
                let in_b = members(&b).contains(&port);
                prop_assert_eq!(members(&a.union(&b)).contains(&port), in_a || in_b);
                prop_assert_eq!(members(&a.minus(&b)).contains(&port), in_a && !in_b);
                prop_assert_eq!(members(&a.intersection(&b)).contains(&port), in_a && in_b);
            }
            prop_assert_eq!(a.overlaps(&b), members(&a).iter().any(|p| members(&b).contains(p)));
        }
    }
}
