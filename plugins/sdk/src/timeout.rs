//! Timeouts from script numbers: the one conversion from seconds to a `Duration`.
//!
//! A script says how long to wait in seconds (an int or a float). Negative and NaN are
//! `InvalidArgument`; anything at or past [`NO_LIMIT`] (1e300, infinity) means "no limit"
//! and becomes [`NO_LIMIT`] itself, which every timer and deadline can hold without
//! overflowing — never a panic. `Duration::from_secs_f64` appears nowhere else.

use crate::error::CommonError;
use std::time::Duration;

/// What "no limit" is as a `Duration`: a hundred years, far past any real wait and small
/// enough to add to any `Instant`.
pub const NO_LIMIT: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// Seconds (≥ 0) as a `Duration`; huge values are [`NO_LIMIT`]. Errors: `InvalidArgument`
/// naming `what` for a negative or NaN value.
pub fn from_secs(protocol: &str, what: &str, secs: f64) -> Result<Duration, CommonError> {
    if secs.is_nan() || secs < 0.0 {
        return Err(CommonError::invalid_argument(
            protocol,
            format!("{what} must be a number of seconds >= 0, not {secs}"),
        ));
    }
    Ok(saturating(secs))
}

/// Seconds (> 0) as a `Duration`: a timeout of zero would fail every call at once.
/// Errors: `InvalidArgument` for zero, negative or NaN.
pub fn positive(protocol: &str, what: &str, secs: f64) -> Result<Duration, CommonError> {
    if secs.is_nan() || secs <= 0.0 {
        return Err(CommonError::invalid_argument(
            protocol,
            format!("{what} must be a positive number of seconds, not {secs}"),
        ));
    }
    Ok(saturating(secs))
}

/// A script value (int or float, > 0) as a `Duration` (`server.wait(1.5)`). Errors:
/// `InvalidArgument` for another type, zero, negative or NaN.
pub fn positive_value(protocol: &str, what: &str, value: &rhai::Dynamic) -> Result<Duration, CommonError> {
    let secs = if let Ok(f) = value.as_float() {
        f
    } else if let Ok(i) = value.as_int() {
        i as f64
    } else {
        return Err(CommonError::invalid_argument(
            protocol,
            format!("{what} must be a number of seconds, not {}", crate::options::type_word(value)),
        ));
    };
    positive(protocol, what, secs)
}

/// Seconds already checked to be ≥ 0 as a `Duration` (NaN and negatives become zero,
/// huge values [`NO_LIMIT`]); for values a plugin keeps as numbers after checking them.
pub fn saturating(secs: f64) -> Duration {
    if secs.is_nan() || secs <= 0.0 {
        Duration::ZERO
    } else if secs >= NO_LIMIT.as_secs_f64() {
        NO_LIMIT
    } else {
        Duration::from_secs_f64(secs)
    }
}

/// Whether `limit` means "no limit".
pub fn is_no_limit(limit: Duration) -> bool {
    limit >= NO_LIMIT
}

/// `limit` for a message: `2.5 s`.
pub fn describe(limit: Duration) -> String {
    if is_no_limit(limit) {
        return "no limit".into();
    }
    format!("{} s", limit.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::CommonKind;

    #[test]
    fn huge_is_no_limit_and_negative_or_nan_is_invalid() {
        assert_eq!(from_secs("t", "x", 1e300).unwrap(), NO_LIMIT);
        assert_eq!(from_secs("t", "x", f64::INFINITY).unwrap(), NO_LIMIT);
        assert_eq!(from_secs("t", "x", 0.0).unwrap(), Duration::ZERO);
        assert_eq!(from_secs("t", "x", 1.5).unwrap(), Duration::from_millis(1500));
        assert_eq!(from_secs("t", "x", -1.0).unwrap_err().kind, CommonKind::InvalidArgument);
        assert_eq!(from_secs("t", "x", f64::NAN).unwrap_err().kind, CommonKind::InvalidArgument);
        assert_eq!(positive("t", "x", 0.0).unwrap_err().kind, CommonKind::InvalidArgument);
        assert!(std::time::Instant::now().checked_add(NO_LIMIT).is_some());
    }
}
