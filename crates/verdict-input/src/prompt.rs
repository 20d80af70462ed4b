//! What a test line asks the model, apart from the answer it expects: its system instruction
//! and the turns before the answer, as the expected-line shapes read them for
//! `verdict requests` (`crate::requests`), which writes them out in a provider's request shape.
//!
//! A part verdict knows how to carry to any provider (text) is held as such; any other part
//! (an image URL, a video's file URI) is held verbatim with the family of shapes it came from,
//! and only a request of that family can carry it.

use serde_json::Value;

/// The family of request shapes a verbatim part belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// OpenAI chat content parts (`{"type": "image_url", ...}`).
    OpenAi,
    /// Gemini parts (`{"fileData": ...}`, `{"inlineData": ...}`).
    Gemini,
}

impl Family {
    /// How messages name the family.
    pub fn name(self) -> &'static str {
        match self {
            Family::OpenAi => "an OpenAI chat content part",
            Family::Gemini => "a Gemini part",
        }
    }
}

/// A part of a turn.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// Text, which every provider's request carries.
    Text(String),
    /// Anything else, verbatim, in the shape of its family.
    Native(Family, Value),
}

/// One turn of the conversation before the expected answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    /// Whether the model said it (an earlier assistant or model turn, as in a few-shot
    /// conversation) rather than the user.
    pub assistant: bool,
    /// Its parts, in order.
    pub parts: Vec<Part>,
}

/// What a test line asks: its system instruction and the turns before its expected answer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Prompt {
    /// The system instruction's pieces, in order (none: the line has no system instruction):
    /// one for each part the test line's request hash covers (a system message, a text part of
    /// `systemInstruction`, a Nova `system` block), so that a request giving them as parts
    /// echoes the same hash.
    pub system: Vec<String>,
    /// The turns before the expected answer, in order; the last is the user's.
    pub turns: Vec<Turn>,
}
