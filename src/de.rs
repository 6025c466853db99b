//! What the generated types' `Deserialize` impls share (see the codegen's `deserialize`
//! module): matching a key against a type's fields, one field's value, unit variants.
//!
//! Every helper is small and generic only over serde's traits, so each is compiled once per
//! deserializer, not once per generated type.

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

/// A key of an object: one of the type's fields (its index in `FIELDS`), or another key, kept
/// (borrowed from the input when it can be) for the `extra` map.
pub(crate) enum Key<'de> {
    Field(usize),
    Other(Cow<'de, str>),
}

struct KeySeed(&'static [&'static str]);

impl KeySeed {
    /// The field named `key`. Most candidates differ in length or first byte, so those are
    /// compared before the bytes (a call each): a listing matches a dozen keys per item
    /// against a few dozen fields.
    fn find<'de>(&self, key: &str) -> Option<Key<'de>> {
        let k = key.as_bytes();
        let Some(&first) = k.first() else {
            return self.0.iter().position(|f| f.is_empty()).map(Key::Field);
        };
        self.0
            .iter()
            .position(|f| f.len() == k.len() && f.as_bytes()[0] == first && f.as_bytes() == k)
            .map(Key::Field)
    }
}

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key<'de>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
        Ok(self.find(v).unwrap_or(Key::Other(Cow::Borrowed(v))))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
        Ok(self
            .find(v)
            .unwrap_or_else(|| Key::Other(Cow::Owned(v.to_owned()))))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
        Ok(self.find(&v).unwrap_or(Key::Other(Cow::Owned(v))))
    }
}

/// The next key of `map`, matched against `fields`.
pub(crate) fn next_key<'de, A: MapAccess<'de>>(
    map: &mut A,
    fields: &'static [&'static str],
) -> Result<Option<Key<'de>>, A::Error> {
    map.next_key_seed(KeySeed(fields))
}

/// Decodes the value of field `name` into `slot`; a field given twice is an error, as with
/// serde's derive.
pub(crate) fn value<'de, A: MapAccess<'de>, T: de::Deserialize<'de>>(
    map: &mut A,
    slot: &mut Option<T>,
    name: &'static str,
) -> Result<(), A::Error> {
    seeded(map, slot, name, std::marker::PhantomData)
}

/// Decodes the value of field `name` into `slot` with `seed`; a field given twice is an
/// error, as with serde's derive.
fn seeded<'de, A: MapAccess<'de>, S: de::DeserializeSeed<'de>>(
    map: &mut A,
    slot: &mut Option<S::Value>,
    name: &'static str,
    seed: S,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(de::Error::duplicate_field(name));
    }
    *slot = Some(map.next_value_seed(seed)?);
    Ok(())
}

/// Skips the value of a key the type does not keep.
pub(crate) fn skip<'de, A: MapAccess<'de>>(map: &mut A) -> Result<(), A::Error> {
    map.next_value::<IgnoredAny>().map(|_| ())
}

/// The value of a required field, or the error naming it.
pub(crate) fn required<T, E: de::Error>(slot: Option<T>, name: &'static str) -> Result<T, E> {
    slot.ok_or_else(|| E::missing_field(name))
}

/// A variant name (or index, for formats that write one), as its index in `variants`.
struct VariantSeed(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for VariantSeed {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl<'de> Visitor<'de> for VariantSeed {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a variant name")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<usize, E> {
        usize::try_from(v)
            .ok()
            .filter(|i| *i < self.0.len())
            .ok_or_else(|| E::invalid_value(de::Unexpected::Unsigned(v), &self))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<usize, E> {
        self.0
            .iter()
            .position(|n| *n == v)
            .ok_or_else(|| E::unknown_variant(v, self.0))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<usize, E> {
        match std::str::from_utf8(v) {
            Ok(s) => self.visit_str(s),
            Err(_) => Err(E::invalid_value(de::Unexpected::Bytes(v), &self)),
        }
    }
}

struct UnitVariant(&'static [&'static str]);

impl<'de> Visitor<'de> for UnitVariant {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "one of {:?}", self.0)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<usize, E> {
        VariantSeed(self.0).visit_str(v)
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<usize, A::Error> {
        let (index, variant) = data.variant_seed(VariantSeed(self.0))?;
        de::VariantAccess::unit_variant(variant)?;
        Ok(index)
    }
}

/// The index in `variants` of a unit variant (a string in JSON).
pub(crate) fn unit_variant<'de, D: Deserializer<'de>>(
    deserializer: D,
    name: &'static str,
    variants: &'static [&'static str],
) -> Result<usize, D::Error> {
    deserializer.deserialize_enum(name, variants, UnitVariant(variants))
}

struct OpenVariant(&'static [&'static str]);

impl<'de> Visitor<'de> for OpenVariant {
    type Value = Result<usize, String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(self
            .0
            .iter()
            .position(|n| *n == v)
            .ok_or_else(|| v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(self.0.iter().position(|n| *n == v).ok_or(v))
    }
}

/// A string of an open enum: the index of a known value in `variants`, or the string itself.
pub(crate) fn open_variant<'de, D: Deserializer<'de>>(
    deserializer: D,
    variants: &'static [&'static str],
) -> Result<Result<usize, String>, D::Error> {
    deserializer.deserialize_str(OpenVariant(variants))
}

/// A date of the Hub (`DateTime<Utc>`), decoded with a fast path for the shape the Hub sends
/// (`2024-05-01T12:34:56.789Z`: UTC, 0 to 9 fraction digits); any other string goes through
/// chrono's own parser, so what chrono accepts and the errors it gives are unchanged.
pub(crate) trait DateSlot: Sized {
    fn decode<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error>;
}

impl DateSlot for DateTime<Utc> {
    fn decode<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(DateVisitor)
    }
}

impl DateSlot for Option<DateTime<Utc>> {
    fn decode<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_option(OptionDateVisitor)
    }
}

struct DateSeed<T>(std::marker::PhantomData<T>);

impl<'de, T: DateSlot> DeserializeSeed<'de> for DateSeed<T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        T::decode(deserializer)
    }
}

struct DateVisitor;

impl<'de> Visitor<'de> for DateVisitor {
    type Value = DateTime<Utc>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a formatted date and time string")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<DateTime<Utc>, E> {
        match fast_utc(v.as_bytes()) {
            Some(d) => Ok(d),
            None => v.parse().map_err(E::custom),
        }
    }
}

struct OptionDateVisitor;

impl<'de> Visitor<'de> for OptionDateVisitor {
    type Value = Option<DateTime<Utc>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a formatted date and time string or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(DateVisitor).map(Some)
    }
}

/// Decodes the value of date field `name` into `slot` (see [`DateSlot`]); a field given twice
/// is an error, as with [`value`].
pub(crate) fn date<'de, A: MapAccess<'de>, T: DateSlot>(
    map: &mut A,
    slot: &mut Option<T>,
    name: &'static str,
) -> Result<(), A::Error> {
    seeded(map, slot, name, DateSeed(std::marker::PhantomData))
}

/// `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z`, or `None` for anything else (left to chrono). Seconds
/// over 59 (leap seconds) are left to chrono too.
fn fast_utc(s: &[u8]) -> Option<DateTime<Utc>> {
    fn digits(s: &[u8]) -> Option<u32> {
        s.iter().try_fold(0u32, |n, &b| {
            b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
        })
    }
    if s.len() < 20 || s.len() > 30 || *s.last()? != b'Z' {
        return None;
    }
    if s[4] != b'-' || s[7] != b'-' || s[10] != b'T' || s[13] != b':' || s[16] != b':' {
        return None;
    }
    let year = i32::try_from(digits(&s[0..4])?).ok()?;
    let (month, day) = (digits(&s[5..7])?, digits(&s[8..10])?);
    let (hour, minute, second) = (
        digits(&s[11..13])?,
        digits(&s[14..16])?,
        digits(&s[17..19])?,
    );
    let frac = &s[19..s.len() - 1];
    let nanos = match frac {
        [] => 0,
        [b'.', f @ ..] if !f.is_empty() && f.len() <= 9 => {
            digits(f)? * 10u32.pow(9 - u32::try_from(f.len()).ok()?)
        }
        _ => return None,
    };
    if second > 59 {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?;
    Some(NaiveDateTime::new(date, time).and_utc())
}

#[cfg(test)]
mod tests;
