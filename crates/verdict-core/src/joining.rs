//! How predictions are paired with examples: the mode a user asks for and the key a keyed join
//! used. The joining itself is `verdict-input`'s; the report records which key it used.

/// How predictions are paired with examples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JoinMode {
    /// By explicit key, or by request hash where there are no explicit keys.
    #[default]
    Key,
    /// The n-th prediction answers the n-th example.
    Line,
}

/// Which key a keyed join used; reported so a user can see how lines were paired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JoinedBy {
    /// `id` / `key` / `custom_id`.
    ExplicitKey,
    /// The hash of the request's user turns.
    RequestHash,
    /// The hash of the request's user turns and system instruction, when every line on both
    /// sides carries one. Reported as `request_hash` (the system instruction is part of the
    /// request), so a report says the same of a run whose lines all carry one as it did before
    /// the system instruction joined; read back, it is [`JoinedBy::RequestHash`].
    #[serde(rename(serialize = "request_hash"), skip_deserializing)]
    RequestAndSystemHash,
    /// Line order (`--join line`).
    LineOrder,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_join_by_system_instruction_is_reported_and_read_back_as_a_request_hash() {
        let text = serde_json::to_string(&JoinedBy::RequestAndSystemHash).unwrap();
        assert_eq!(text, "\"request_hash\"");
        let back: JoinedBy = serde_json::from_str(&text).unwrap();
        assert_eq!(back, JoinedBy::RequestHash);
    }
}
