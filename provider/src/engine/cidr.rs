//! The one parser for the CIDR blocks users write (endpoint blocks, tier ranges, node CIDRs, nftables
//! addresses): a block is accepted only as the network address in the spelling the output uses, and every
//! refusal says what is wrong with it and what to write instead.

use ipnet::IpNet;
use std::fmt;

/// Which address family a block must belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CidrFamily {
    /// IPv4 only.
    V4,
    /// IPv6 only.
    V6,
    /// Either.
    Any,
}

/// Why a text is not an acceptable CIDR block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CidrError {
    /// Not a CIDR block (of the wanted family) at all.
    Malformed {
        /// The text as written.
        text: String,
        /// The family that was wanted.
        family: CidrFamily,
    },
    /// An IPv4 part with a leading zero (`010.0.0.0/8`): inet_aton and many firewalls read such octets as
    /// octal (010 = 8), others as decimal, so the block is ambiguous.
    LeadingZeros {
        /// The text as written.
        text: String,
        /// The block read with decimal octets, which is what the user most likely meant.
        decimal: Option<String>,
    },
    /// A valid block with host bits set (`10.0.0.1/8`).
    HostBits {
        /// The text as written.
        text: String,
        /// The network address of the block.
        network: String,
    },
    /// A valid network written otherwise than the output writes it (`2001:DB8::/32`, `2001:0db8::/32`).
    NotCanonical {
        /// The text as written.
        text: String,
        /// The canonical spelling.
        canonical: String,
    },
}

impl CidrError {
    /// A one-line statement of the problem, e.g. `"10.0.0.1/8" has host bits set`.
    pub fn summary(&self) -> String {
        match self {
            CidrError::Malformed { text, family } => match family {
                CidrFamily::V4 => format!("{text:?} is not an IPv4 CIDR block"),
                CidrFamily::V6 => format!("{text:?} is not an IPv6 CIDR block"),
                CidrFamily::Any => format!("{text:?} is not a CIDR block"),
            },
            CidrError::LeadingZeros { text, .. } => {
                format!("{text:?} has an octet with a leading zero")
            }
            CidrError::HostBits { text, .. } => format!("{text:?} has host bits set"),
            CidrError::NotCanonical { text, .. } => {
                format!("{text:?} is not written in canonical form")
            }
        }
    }

    /// What to write instead, as a sentence.
    pub fn fix(&self) -> String {
        match self {
            CidrError::Malformed { family, .. } => match family {
                CidrFamily::V4 => "Write it like \"10.0.0.0/8\".".to_string(),
                CidrFamily::V6 => "Write it like \"2001:db8::/32\".".to_string(),
                CidrFamily::Any => {
                    "Write it like \"10.0.1.0/24\" or \"2001:db8::/64\".".to_string()
                }
            },
            CidrError::LeadingZeros { decimal, .. } => {
                let meant = decimal
                    .as_ref()
                    .map(|d| format!(" (write {d:?} if you mean decimal)"))
                    .unwrap_or_default();
                format!(
                    "Leading zeros are ambiguous (some tools read 010 as octal 8, others as decimal 10), so they \
                     are not accepted: write each octet without them{meant}."
                )
            }
            CidrError::HostBits { network, .. } => {
                format!("Write the network address {network:?}.")
            }
            CidrError::NotCanonical { canonical, .. } => {
                format!("Write it as {canonical:?}, the spelling rules and rule keys use.")
            }
        }
    }
}

impl fmt::Display for CidrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fix = self.fix();
        let mut chars = fix.chars();
        let fix = match chars.next() {
            Some(first) => first.to_lowercase().chain(chars).collect(),
            None => fix,
        };
        write!(f, "{}: {fix}", self.summary())
    }
}

/// Parses a CIDR block of `family`: the network address (no host bits), in canonical spelling, without
/// leading zeros in IPv4 octets.
pub fn parse_cidr(text: &str, family: CidrFamily) -> Result<IpNet, CidrError> {
    if let Some(decimal) = leading_zeros(text) {
        return Err(CidrError::LeadingZeros {
            text: text.to_string(),
            decimal,
        });
    }
    let malformed = || CidrError::Malformed {
        text: text.to_string(),
        family,
    };
    let net: IpNet = text.parse().map_err(|_| malformed())?;
    match (family, net) {
        (CidrFamily::V4, IpNet::V6(_)) | (CidrFamily::V6, IpNet::V4(_)) => return Err(malformed()),
        _ => {}
    }
    let network = net.trunc();
    if network != net {
        return Err(CidrError::HostBits {
            text: text.to_string(),
            network: network.to_string(),
        });
    }
    let canonical = net.to_string();
    if canonical != text {
        return Err(CidrError::NotCanonical {
            text: text.to_string(),
            canonical,
        });
    }
    Ok(net)
}

/// Whether the dotted-quad part of `text` (before any `/`, after the last `:` for embedded IPv4) has an octet
/// with a leading zero; if so, `Some` of the text with decimal octets (`None` inside when that is no address
/// either).
pub fn leading_zeros(text: &str) -> Option<Option<String>> {
    let (address, prefix) = match text.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (text, None),
    };
    let (head, quad) = match address.rfind(':') {
        Some(at) => address.split_at(at + 1),
        None => ("", address),
    };
    let octets: Vec<&str> = quad.split('.').collect();
    let padded =
        |o: &&str| o.len() > 1 && o.starts_with('0') && o.bytes().all(|b| b.is_ascii_digit());
    if octets.len() < 2 || !octets.iter().any(padded) {
        return None;
    }
    let decimal: Option<Vec<String>> = octets
        .iter()
        .map(|o| o.parse::<u8>().ok().map(|n| n.to_string()))
        .collect();
    Some(decimal.map(|octets| {
        let mut out = format!("{head}{}", octets.join("."));
        if let Some(prefix) = prefix {
            out.push('/');
            out.push_str(prefix);
        }
        out
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_networks_of_the_family_parse_and_the_rest_are_malformed() {
        // (text, family, whether it parses back to itself; otherwise it is malformed)
        for (text, family, parses) in [
            ("10.0.0.0/8", CidrFamily::V4, true),
            ("0.0.0.0/0", CidrFamily::Any, true),
            ("100.64.0.0/10", CidrFamily::Any, true),
            ("2001:db8::/32", CidrFamily::V6, true),
            ("::/0", CidrFamily::Any, true),
            ("2001:db8::/32", CidrFamily::V4, false),
            ("10.0.0.0/8", CidrFamily::V6, false),
            ("10.0.0.0", CidrFamily::V4, false),
            ("10.0.0.0/33", CidrFamily::V4, false),
            ("", CidrFamily::Any, false),
            ("any", CidrFamily::Any, false),
        ] {
            let parsed = parse_cidr(text, family);
            if parses {
                assert_eq!(parsed.map(|n| n.to_string()), Ok(text.to_string()));
            } else {
                assert!(matches!(parsed, Err(CidrError::Malformed { .. })), "{text}");
            }
        }
        assert_eq!(
            parse_cidr("x", CidrFamily::V4).unwrap_err().to_string(),
            "\"x\" is not an IPv4 CIDR block: write it like \"10.0.0.0/8\"."
        );
    }
    #[test]
    fn leading_zero_octets_are_ambiguous_not_host_bits() {
        let error = parse_cidr("010.0.0.0/8", CidrFamily::V4).unwrap_err();
        assert_eq!(
            error,
            CidrError::LeadingZeros {
                text: "010.0.0.0/8".into(),
                decimal: Some("10.0.0.0/8".into())
            }
        );
        assert_eq!(
            error.summary(),
            "\"010.0.0.0/8\" has an octet with a leading zero"
        );
        assert!(error.fix().contains("ambiguous"), "{}", error.fix());
        assert!(error.fix().contains("\"10.0.0.0/8\""), "{}", error.fix());
        for text in ["192.168.001.0/24", "10.0.0.00/24", "::ffff:010.1.2.3/128"] {
            assert!(
                matches!(
                    parse_cidr(text, CidrFamily::Any),
                    Err(CidrError::LeadingZeros { .. })
                ),
                "{text}"
            );
        }
        // A lone zero octet is no leading zero.
        assert!(parse_cidr("10.0.0.0/16", CidrFamily::V4).is_ok());
    }

    #[test]
    fn host_bits_and_spelling_have_their_own_reasons() {
        assert_eq!(
            parse_cidr("10.0.0.1/8", CidrFamily::V4).unwrap_err(),
            CidrError::HostBits {
                text: "10.0.0.1/8".into(),
                network: "10.0.0.0/8".into()
            }
        );
        assert_eq!(
            parse_cidr("2001:DB8::/32", CidrFamily::V6).unwrap_err(),
            CidrError::NotCanonical {
                text: "2001:DB8::/32".into(),
                canonical: "2001:db8::/32".into()
            }
        );
        assert!(matches!(
            parse_cidr("2001:0db8::/32", CidrFamily::V6),
            Err(CidrError::NotCanonical { .. })
        ));
    }
}
