//! What every fast reader is built of, whatever its provider: parsing a line's text with a
//! serde seed that takes only the few fields a reader looks at, the seeds of the plain values
//! it takes, and declining.
//!
//! A fast reader (the provider's `fast` entry, such as `providers/gemini/fast.rs`) gives the same
//! [`crate::Prediction`] or [`crate::Example`] as parsing the line in full and detecting its
//! shape, or declines, and the line is then read that way. So it declines whatever it is not
//! sure to read alike: a repeated key ([`entries`] does), a value of an unexpected type
//! ([`Text`] and [`Flag`] do), JSON that does not parse or text after the value ([`parse`]
//! does), and whatever its provider's own rules say. Every error then comes from the full
//! reading, message for message.
//!
//! Nothing here knows a provider's shape: the seeds of those live with the provider.

use std::borrow::Cow;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, Visitor};

use crate::read::{Key, KeySet};

/// Reads the whole of `text` with `seed`: an error for JSON that does not parse, for what the
/// seed declines and for anything after the value.
pub(crate) fn parse<'de, S: DeserializeSeed<'de>>(
    text: &'de str,
    seed: S,
) -> serde_json::Result<S::Value> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let read = seed.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(read)
}

/// Gives up on the fast reading. The message is never shown: a declined line is read in full,
/// and any error is that reading's.
pub(crate) fn decline<E: serde::de::Error>() -> E {
    E::custom("not read by the fast path")
}

/// Calls `entry` with each key of an object and the map to take its value from, declining a
/// repeated key (the full reading names it).
pub(crate) fn entries<'de, A: MapAccess<'de>>(
    mut map: A,
    mut entry: impl FnMut(&str, &mut A) -> std::result::Result<(), A::Error>,
) -> std::result::Result<(), A::Error> {
    let mut keys = KeySet::default();
    while let Some(key) = map.next_key_seed(Key)? {
        // A borrowed key clones as a pointer; only an escaped one is copied.
        if keys.repeated(key.clone()).is_some() {
            return Err(decline());
        }
        entry(&key, &mut map)?;
    }
    Ok(())
}

/// A string value, borrowed from the text when it can be; anything else declines. serde_json
/// reads a string value as it reads an object key, so this is [`Key`] under the name of what
/// it reads.
pub(crate) struct Text;

impl<'de> DeserializeSeed<'de> for Text {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        Key.deserialize(d)
    }
}

/// A boolean value; anything else declines.
pub(crate) struct Flag;

impl<'de> DeserializeSeed<'de> for Flag {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<bool, D::Error> {
        d.deserialize_bool(self)
    }
}

impl Visitor<'_> for Flag {
    type Value = bool;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a boolean")
    }

    fn visit_bool<E>(self, v: bool) -> std::result::Result<bool, E> {
        Ok(v)
    }
}
