use chrono::{DateTime, Utc};

use super::fast_utc;

/// What chrono's own parser makes of `s` (the behaviour the fast path must keep).
fn chrono_parse(s: &str) -> Option<DateTime<Utc>> {
    s.parse().ok()
}

#[test]
fn the_fast_path_agrees_with_chrono_on_the_hubs_shapes() {
    for s in [
        "2022-03-02T23:29:04.000Z",
        "2024-05-01T12:34:56.789Z",
        "2024-05-01T12:34:56Z",
        "2024-05-01T12:34:56.7Z",
        "2024-02-29T00:00:00.123456789Z",
        "1999-12-31T23:59:59.999999Z",
        "0001-01-01T00:00:00Z",
    ] {
        let fast = fast_utc(s.as_bytes());
        assert!(fast.is_some(), "{s} should take the fast path");
        assert_eq!(fast, chrono_parse(s), "{s}");
    }
}

#[test]
fn other_shapes_are_left_to_chrono() {
    for s in [
        // offsets, lower case, a space: valid, but chrono's business
        "2024-05-01T12:34:56+02:00",
        "2024-05-01t12:34:56z",
        "2024-05-01 12:34:56Z",
        // a leap second, ten fraction digits, no fraction digit after the dot
        "2016-12-31T23:59:60Z",
        "2024-05-01T12:34:56.1234567890Z",
        "2024-05-01T12:34:56.Z",
        // invalid dates and times
        "2023-02-29T00:00:00Z",
        "2024-13-01T00:00:00Z",
        "2024-05-01T24:00:00Z",
        "2024-05-01T12:60:00Z",
        "2024-05-0xT12:34:56Z",
        "+2024-05-01T12:34:56Z",
        "2024-05-01",
        "",
    ] {
        assert_eq!(fast_utc(s.as_bytes()), None, "{s}");
    }
}

#[derive(Debug, PartialEq)]
struct Dated {
    at: DateTime<Utc>,
    maybe: Option<DateTime<Utc>>,
}

impl<'de> serde::Deserialize<'de> for Dated {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Dated;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Dated, A::Error> {
                const FIELDS: &[&str] = &["at", "maybe"];
                let (mut at, mut maybe) = (None, None);
                while let Some(key) = super::next_key(&mut map, FIELDS)? {
                    match key {
                        super::Key::Field(0) => super::date(&mut map, &mut at, FIELDS[0])?,
                        super::Key::Field(_) => super::date(&mut map, &mut maybe, FIELDS[1])?,
                        super::Key::Other(_) => super::skip(&mut map)?,
                    }
                }
                Ok(Dated {
                    at: super::required(at, FIELDS[0])?,
                    maybe: maybe.flatten(),
                })
            }
        }
        d.deserialize_map(V)
    }
}

#[test]
fn date_fields_decode_like_chronos_serde() {
    let d: Dated = serde_json::from_str(
        r#"{"at":"2024-05-01T12:34:56.789Z","maybe":"2024-05-01T14:34:56.789+02:00"}"#,
    )
    .unwrap();
    assert_eq!(d.at, chrono_parse("2024-05-01T12:34:56.789Z").unwrap());
    assert_eq!(d.maybe, d.at.into());
    let d: Dated = serde_json::from_str(r#"{"at":"2024-05-01T12:34:56Z","maybe":null}"#).unwrap();
    assert_eq!(d.maybe, None);
    let d: Dated = serde_json::from_str(r#"{"at":"2024-05-01T12:34:56Z"}"#).unwrap();
    assert_eq!(d.maybe, None);
}

#[test]
fn a_bad_date_gives_chronos_error() {
    let chrono_err = "2024-13-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap_err();
    let err = serde_json::from_str::<Dated>(r#"{"at":"2024-13-01T00:00:00Z"}"#).unwrap_err();
    assert!(
        err.to_string().starts_with(&chrono_err.to_string()),
        "{err} vs {chrono_err}"
    );
    let err = serde_json::from_str::<Dated>(r#"{"at":12}"#).unwrap_err();
    assert!(
        err.to_string().contains("a formatted date and time string"),
        "{err}"
    );
    let err = serde_json::from_str::<Dated>(r#"{"maybe":null}"#).unwrap_err();
    assert!(err.to_string().contains("missing field `at`"), "{err}");
    let err = serde_json::from_str::<Dated>(
        r#"{"at":"2024-05-01T12:34:56Z","at":"2024-05-01T12:34:56Z"}"#,
    )
    .unwrap_err();
    assert!(err.to_string().contains("duplicate field `at`"), "{err}");
}
