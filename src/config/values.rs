//! How the configuration's values are read beyond plain serde: durations
//! with units, secrets that never show in an error, optional addresses.

use std::net::SocketAddr;

use secrecy::SecretString;
use serde::Deserialize;

/// A duration in whole seconds, written as a number of seconds or as a
/// number with a unit: `s`, `m`, `h`, `d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seconds(pub u64);

impl Seconds {
    pub fn duration(self) -> std::time::Duration {
        std::time::Duration::from_secs(self.0)
    }
}

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u64),
            Text(String),
        }
        let text = match Raw::deserialize(d)? {
            Raw::Number(n) => return Ok(Seconds(n)),
            Raw::Text(t) => t,
        };
        let t = text.trim();
        let (number, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
        let n: u64 = number.parse().map_err(|_| {
            serde::de::Error::custom(format!(
                "{text:?} is not a duration like \"7d\" or \"3600\""
            ))
        })?;
        let factor = match unit.trim() {
            "" | "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            other => {
                return Err(serde::de::Error::custom(format!(
                    "unknown unit {other:?} in {text:?} (use s, m, h or d)"
                )));
            }
        };
        Ok(Seconds(n.saturating_mul(factor)))
    }
}

/// A secret from the file or the environment. The environment makes
/// `MUSICAGG_QBITTORRENT__PASSWORD=123456` a number: accept any scalar as
/// its text, and never echo the value in an error.
pub(super) fn secret<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<SecretString>, D::Error> {
    struct Scalar;
    impl<'v> serde::de::Visitor<'v> for Scalar {
        type Value = Option<SecretString>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a secret as text (its value is not shown)")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(SecretString::from(v.to_owned())))
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
            self.visit_str(&v.to_string())
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
            self.visit_str(&v.to_string())
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
            self.visit_str(&v.to_string())
        }
        fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Self::Value, E> {
            self.visit_str(&v.to_string())
        }
        fn visit_char<E: serde::de::Error>(self, v: char) -> Result<Self::Value, E> {
            self.visit_str(&v.to_string())
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: serde::Deserializer<'v>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(Scalar)
        }
    }
    // Whatever the deserializer says about a value it could not take, the
    // message must not carry the value.
    d.deserialize_any(Scalar)
        .map_err(|_| serde::de::Error::custom("a secret must be text (its value is not shown)"))
}

/// An address, or `""` for none (the listener is off).
pub(super) fn optional_addr<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<SocketAddr>, D::Error> {
    let text = String::deserialize(d)?;
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| {
        serde::de::Error::custom(format!(
            "{text:?} is not an address like 127.0.0.1:8686 (or \"\" to turn it off)"
        ))
    })
}
