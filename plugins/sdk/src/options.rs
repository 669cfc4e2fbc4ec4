//! Strict parsing of the trailing option map (`#{ timeout: 5.0, tls: "starttls" }`).
//!
//! Every key a function does not know is an `InvalidArgument` naming the key and the keys
//! it accepts: a typo never silently falls back to a default.

use crate::error::CommonError;
use rhai::{Dynamic, Map, FLOAT, INT};
use std::time::Duration;

/// A script's text for an error message: escaped (control characters, quotes, CR/LF
/// visible) and at most 100 characters of it, so a huge value never floods the screen.
pub fn quote(text: &str) -> String {
    const MAX: usize = 100;
    let shown: String = text.chars().take(MAX).collect::<String>().escape_debug().to_string();
    if text.chars().count() > MAX {
        format!("{shown}… ({} characters)", text.chars().count())
    } else {
        shown
    }
}

/// The name a script user knows for a value's type (`int`, `float`, `string`, `map`, …),
/// for messages: Rhai's own says `i64` and `f64`.
pub fn type_word(value: &Dynamic) -> &'static str {
    match value.type_name() {
        "i64" | "i32" => "int",
        "f64" | "f32" => "float",
        "string" | "&str" | "ImmutableString" => "string",
        "map" => "map",
        "array" => "array",
        "blob" => "blob",
        "bool" => "bool",
        "()" => "()",
        "char" => "char",
        "Fn" => "function",
        _ => "value",
    }
}

/// A validated option map for one function.
pub struct Options {
    protocol: &'static str,
    function: &'static str,
    map: Map,
}

impl Options {
    /// Checks `map` against the `allowed` keys of `function`.
    pub fn parse(
        protocol: &'static str,
        function: &'static str,
        map: Map,
        allowed: &[&str],
    ) -> Result<Self, CommonError> {
        if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(CommonError::invalid_argument(
                protocol,
                format!("{function}: unknown option '{unknown}' (known: {})", allowed.join(", ")),
            ));
        }
        Ok(Self { protocol, function, map })
    }

    /// An empty option map (the call had none).
    pub fn none(protocol: &'static str, function: &'static str) -> Self {
        Self { protocol, function, map: Map::new() }
    }

    fn wrong_type(&self, key: &str, want: &str, got: &Dynamic) -> CommonError {
        CommonError::invalid_argument(
            self.protocol,
            format!("{}: option '{key}' must be {want}, not {}", self.function, type_word(got)),
        )
    }

    /// The raw value of `key`, if given.
    pub fn get(&self, key: &str) -> Option<&Dynamic> {
        self.map.get(key).filter(|v| !v.is_unit())
    }

    /// A timeout or delay in seconds (int or float, > 0) as a `Duration`; `default` when
    /// absent. Huge values (`1e300`) mean no limit ([`crate::timeout::NO_LIMIT`]); zero,
    /// negative and NaN are `InvalidArgument`.
    pub fn duration(&self, key: &str, default: Duration) -> Result<Duration, CommonError> {
        let Some(v) = self.get(key) else {
            return Ok(default);
        };
        let secs = if let Ok(f) = v.as_float() {
            f
        } else if let Ok(i) = v.as_int() {
            i as FLOAT
        } else {
            return Err(self.wrong_type(key, "a number of seconds", v));
        };
        crate::timeout::positive(self.protocol, &format!("{}: option '{key}'", self.function), secs)
    }

    /// A string option.
    pub fn string(&self, key: &str) -> Result<Option<String>, CommonError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) if v.is_string() => Ok(Some(v.to_string())),
            Some(v) => Err(self.wrong_type(key, "a string", v)),
        }
    }

    /// A boolean option.
    pub fn bool(&self, key: &str, default: bool) -> Result<bool, CommonError> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v.as_bool().map_err(|_| self.wrong_type(key, "true or false", v)),
        }
    }

    /// An integer option.
    pub fn int(&self, key: &str) -> Result<Option<INT>, CommonError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v.as_int().map(Some).map_err(|_| self.wrong_type(key, "an integer", v)),
        }
    }

    /// A map option.
    pub fn map(&self, key: &str) -> Result<Option<Map>, CommonError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) if v.is_map() => Ok(Some(v.clone().cast::<Map>())),
            Some(v) => Err(self.wrong_type(key, "a map", v)),
        }
    }

    /// One of a fixed set of strings.
    pub fn choice(&self, key: &str, choices: &[&str], default: &str) -> Result<String, CommonError> {
        let value = self.string(key)?.unwrap_or_else(|| default.to_string());
        if choices.contains(&value.as_str()) {
            Ok(value)
        } else {
            Err(CommonError::invalid_argument(
                self.protocol,
                format!("{}: option '{key}' must be one of {}, not '{value}'", self.function, choices.join(", ")),
            ))
        }
    }
}

/// Rejects CR or LF in a protocol argument (header injection, command smuggling).
pub fn reject_crlf(protocol: &str, what: &str, value: &str) -> Result<(), CommonError> {
    if value.contains(['\r', '\n']) {
        Err(CommonError::invalid_argument(protocol, format!("{what} must not contain CR or LF")))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_rejected_with_the_known_list() {
        let mut map = Map::new();
        map.insert("timout".into(), Dynamic::from_float(1.0));
        let err = Options::parse("smtp", "connect", map, &["timeout", "tls"]).err().unwrap();
        assert!(err.message.contains("'timout'") && err.message.contains("timeout, tls"), "{}", err.message);
    }

    #[test]
    fn durations_accept_ints_and_floats_but_not_zero_negative_or_nan() {
        let with = |v: Dynamic| {
            let mut map = Map::new();
            map.insert("timeout".into(), v);
            Options::parse("x", "f", map, &["timeout"]).unwrap().duration("timeout", Duration::from_secs(30))
        };
        assert_eq!(with(Dynamic::from_int(2)).unwrap(), Duration::from_secs(2));
        assert_eq!(with(Dynamic::from_float(1e300)).unwrap(), crate::timeout::NO_LIMIT);
        for bad in [0.0, -1.0, f64::NAN] {
            assert!(with(Dynamic::from_float(bad)).is_err(), "{bad}");
        }
        assert!(with(Dynamic::from("5")).is_err());
    }

    #[test]
    fn crlf_is_rejected() {
        assert!(reject_crlf("smtp", "recipient", "a@b\r\nRCPT TO:<c@d>").is_err());
        assert!(reject_crlf("smtp", "recipient", "a@b").is_ok());
    }
}
