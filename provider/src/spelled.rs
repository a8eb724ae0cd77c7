//! Fieldless enums spelled once: [`spelled!`] writes `Display` (and, given the error for an unknown text,
//! `FromStr`) from one table of each variant's text, so that printing and parsing cannot drift apart.

/// `Display` for a fieldless enum from the text of each variant: `spelled!(Direction { In => "in", Out => "out" })`.
/// With `else |other| error` it also writes `FromStr`, which takes the same texts and gives `Err(error)` (a
/// `String`) for any `other`; `parse Type { ... } else |other| error` writes `FromStr` alone.
macro_rules! spelled {
    ($ty:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(match self {
                    $($ty::$variant => $text,)+
                })
            }
        }
    };
    (parse $ty:ident { $($variant:ident => $text:literal),+ $(,)? } else |$other:ident| $error:expr) => {
        impl std::str::FromStr for $ty {
            type Err = String;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                match text {
                    $($text => Ok($ty::$variant),)+
                    $other => Err($error),
                }
            }
        }
    };
    ($ty:ident { $($variant:ident => $text:literal),+ $(,)? } else |$other:ident| $error:expr) => {
        $crate::spelled::spelled!($ty { $($variant => $text),+ });
        $crate::spelled::spelled!(parse $ty { $($variant => $text),+ } else |$other| $error);
    };
}

pub(crate) use spelled;
