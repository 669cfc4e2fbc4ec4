//! Strict parsing of the trailing option map (`#{ timeout: 5.0, tls: "starttls" }`).
//!
//! Every key a function does not know is an `InvalidArgument` naming the key and the keys
//! it accepts: a typo never silently falls back to a default.

use crate::error::CommonError;
use rhai::{Dynamic, Map, FLOAT, INT};

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
            format!("{}: option '{key}' must be {want}, not {}", self.function, got.type_name()),
        )
    }

    /// The raw value of `key`, if given.
    pub fn get(&self, key: &str) -> Option<&Dynamic> {
        self.map.get(key).filter(|v| !v.is_unit())
    }

    /// A number of seconds (int or float, > 0); `default` when absent.
    pub fn seconds(&self, key: &str, default: f64) -> Result<f64, CommonError> {
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
        if !(secs.is_finite() && secs > 0.0) {
            return Err(CommonError::invalid_argument(
                self.protocol,
                format!("{}: option '{key}' must be a positive number of seconds, not {secs}", self.function),
            ));
        }
        Ok(secs)
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
    fn seconds_accept_ints_and_floats_but_not_zero() {
        let mut map = Map::new();
        map.insert("timeout".into(), Dynamic::from_int(2));
        let opts = Options::parse("x", "f", map, &["timeout"]).unwrap();
        assert_eq!(opts.seconds("timeout", 30.0).unwrap(), 2.0);
        let mut map = Map::new();
        map.insert("timeout".into(), Dynamic::from_float(0.0));
        let opts = Options::parse("x", "f", map, &["timeout"]).unwrap();
        assert!(opts.seconds("timeout", 30.0).is_err());
    }

    #[test]
    fn crlf_is_rejected() {
        assert!(reject_crlf("smtp", "recipient", "a@b\r\nRCPT TO:<c@d>").is_err());
        assert!(reject_crlf("smtp", "recipient", "a@b").is_ok());
    }
}
