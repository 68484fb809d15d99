//! Unit tests of the editor, driven by actions and keys, effects applied to
//! an in-memory record (the integration tests use a real store).
