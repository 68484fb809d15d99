//! The store server's protocol: length-prefixed frames of postcard messages
//! over a Unix socket.
//!
//! A frame is a 4-byte little-endian length, then that many bytes of one
//! postcard-encoded message; a frame longer than [`MAX_FRAME`] is refused
//! before anything is allocated for it. The client speaks first with
//! [`ClientMsg::Hello`]; the server answers [`ServerMsg::Welcome`] (or
//! [`ServerMsg::Refused`] with a Chinese message, then closes). After that
//! every [`ClientMsg::Call`] gets [`ServerMsg::Reply`] frames with its id —
//! zero or more [`Part::Chunk`]s, then one [`Part::End`] — and the server
//! pushes [`ServerMsg::Event`]s between them. A frame that does not decode
//! closes that connection only.

use crate::access::{Access, Clerk};
use crate::backend::{Event, Found, LeaseView, Opened, RowFilter, VillageCounts};
use crate::form::{Round, Value};
use crate::model::{Answers, AuditEntry, LookBack, Place, SectionA, Summary};
use crate::report::{Report, Scope};
use crate::search::Query;
use crate::store::bulk::RawCounts;
use crate::store::{AuditCheck, Row, StoreError, UpsertOutcome};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::io::{self, Read, Write};

/// Bumped whenever a message changes shape; client and server must agree.
pub const PROTOCOL: u32 = 2;
/// The largest frame either side accepts (a chunk of rows or summaries is far smaller).
pub const MAX_FRAME: usize = 64 << 20;
/// Items sent per chunk of a streamed reply.
pub const CHUNK: usize = 2_000;

/// The release this program is, for the handshake's message.
pub fn release() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ClientMsg {
    Hello {
        protocol: u32,
        release: String,
        /// The operator name asked for (`--operator`); honoured only for the server's own login.
        operator: Option<String>,
    },
    Call {
        id: u64,
        request: Request,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ServerMsg {
    Welcome { protocol: u32, release: String, access: Access, round: Round, note: Option<String>, store: String },
    Refused(String),
    Reply { id: u64, part: Part },
    Event(Event),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Part {
    Chunk(Response),
    End(Result<Response, WireError>),
}

/// Every typed operation of [`crate::backend::Backend`], as a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Request {
    Summaries,
    HouseholdCount,
    Get(u64),
    Summary(u64),
    History(u64),
    Find {
        query: Query,
        limit: usize,
    },
    Report(Scope),
    TownshipNames,
    Rows(RowFilter),
    VerifyAudit,
    VerifyRecords,
    AuditEntries,
    FormDefinitions,
    Raw,
    OpenForm(u64),
    TakeOver(u64),
    CloseForm(u64),
    Leases,
    SaveDraft {
        key: u64,
        base: Option<Answers>,
        answers: Answers,
    },
    Submit {
        key: u64,
        base: Option<Answers>,
        answers: Answers,
        confirmed: Vec<String>,
    },
    Reopen(u64),
    SetVerified {
        key: u64,
        verified: bool,
    },
    CorrectSectionA {
        key: u64,
        code: String,
        value: Option<Value>,
    },
    /// Roster rows for the next `PlanUpsert` or `Upsert` of this connection.
    Stage(Vec<(Place, SectionA)>),
    PlanUpsert,
    Upsert,
    InsertRecords {
        records: Vec<LookBack>,
        note: String,
    },
    Clerks,
    AddClerk(Clerk),
    RemoveClerk(String),
    /// The villages of a place with their counts (the places pane).
    Places(Scope),
    /// One village's households (the list on screen).
    Village(Place),
    /// A find within a township or a village.
    FindIn {
        query: Query,
        within: Scope,
        limit: usize,
    },
    /// Ends the server once every call under way has finished (管理 only:
    /// a snapshot restore needs the store to itself).
    Shutdown,
    Entries(u64),
    AddEntry {
        key: u64,
        form: crate::form::FormRef,
        answers: Answers,
    },
    SaveEntry {
        key: u64,
        form: String,
        seq: u32,
        base: Option<Answers>,
        answers: Answers,
    },
    VoidEntry {
        key: u64,
        form: String,
        seq: u32,
        reason: String,
    },
    InsertEntries(Vec<(u64, Vec<crate::model::Entry>)>),
    UpsertEntries {
        form: crate::form::FormRef,
        rows: Vec<(String, Answers)>,
        dry_run: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Response {
    Done,
    Count(usize),
    Bool(bool),
    U64(u64),
    Summaries(Vec<Summary>),
    Record(Option<LookBack>),
    Summary(Option<Summary>),
    History(Vec<AuditEntry>),
    Found(Found),
    Report(Box<Report>),
    Names(Vec<String>),
    Rows(Vec<Row>),
    Audit(AuditCheck),
    Records(crate::store::RecordsCheck),
    Raw(Vec<(Vec<u8>, Vec<u8>, Vec<u8>)>),
    RawCounts(RawCounts),
    Opened(Box<Opened>),
    Leases(Vec<(u64, LeaseView)>),
    Upsert(UpsertOutcome),
    Keys(Vec<u64>),
    Clerks(Vec<Clerk>),
    Definitions(Vec<(crate::form::FormRef, String)>),
    Entries(Vec<crate::model::Entry>),
    Entry(Box<crate::model::Entry>),
    EntriesOutcome(crate::store::EntriesOutcome),
    Places(Vec<VillageCounts>),
}

/// A [`StoreError`] as it crosses the socket: its kind and its Chinese message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum WireError {
    Refused(String),
    Conflict(String),
    NotFound(u64),
    /// Disk full, read-only, I/O: the client keeps its data for a retry.
    Retryable(String),
    Other(String),
}

impl From<&StoreError> for WireError {
    fn from(e: &StoreError) -> Self {
        match e {
            StoreError::Refused(m) => WireError::Refused(m.clone()),
            StoreError::Conflict(m) => WireError::Conflict(m.clone()),
            StoreError::NotFound(k) => WireError::NotFound(*k),
            e if e.is_retryable() => WireError::Retryable(e.to_string()),
            e => WireError::Other(e.to_string()),
        }
    }
}

impl From<WireError> for StoreError {
    fn from(e: WireError) -> Self {
        match e {
            WireError::Refused(m) => StoreError::Refused(m),
            WireError::Conflict(m) => StoreError::Conflict(m),
            WireError::NotFound(k) => StoreError::NotFound(k),
            WireError::Retryable(m) => StoreError::Server { message: m, retryable: true },
            WireError::Other(m) => StoreError::Server { message: m, retryable: false },
        }
    }
}

/// Why a frame could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("连接已关闭")]
    Closed,
    #[error("消息过长（{0}字节，上限{MAX_FRAME}字节）")]
    TooLong(usize),
    #[error("消息无法解读：{0}")]
    Malformed(String),
    #[error("读写连接出错：{0}")]
    Io(#[from] io::Error),
}

/// Writes one message as one frame.
pub fn write_frame<T: Serialize>(w: &mut impl Write, msg: &T) -> io::Result<()> {
    let body = postcard::to_stdvec(msg).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
    if body.len() > MAX_FRAME {
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("消息过长（{}字节）", body.len())));
    }
    let mut frame = Vec::with_capacity(4 + body.len());
    frame.extend_from_slice(&(body.len() as u32).to_le_bytes());
    frame.extend_from_slice(&body);
    w.write_all(&frame)?;
    w.flush()
}

/// Reads one frame's body, refusing one longer than [`MAX_FRAME`].
pub fn read_body(r: &mut impl Read) -> Result<Vec<u8>, FrameError> {
    let mut len = [0u8; 4];
    if let Err(e) = r.read_exact(&mut len) {
        return Err(if e.kind() == io::ErrorKind::UnexpectedEof { FrameError::Closed } else { FrameError::Io(e) });
    }
    let len = u32::from_le_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(FrameError::TooLong(len));
    }
    let mut body = Vec::new();
    r.take(len as u64).read_to_end(&mut body)?;
    if body.len() != len {
        return Err(FrameError::Closed);
    }
    Ok(body)
}

/// Decodes one message from a frame's body.
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, FrameError> {
    postcard::from_bytes(body).map_err(|e| FrameError::Malformed(e.to_string()))
}

/// Reads and decodes one frame.
pub fn read_frame<T: DeserializeOwned>(r: &mut impl Read) -> Result<T, FrameError> {
    decode(&read_body(r)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip() {
        let msg = ClientMsg::Call { id: 7, request: Request::Find { query: Query::Text("张三".into()), limit: 20 } };
        let mut buf = Vec::new();
        write_frame(&mut buf, &msg).unwrap();
        let back: ClientMsg = read_frame(&mut buf.as_slice()).unwrap();
        assert_eq!(back, msg);
    }

    #[test]
    fn oversized_and_malformed_frames_are_refused() {
        let mut buf = ((MAX_FRAME + 1) as u32).to_le_bytes().to_vec();
        buf.extend_from_slice(&[0; 16]);
        assert!(matches!(read_frame::<ClientMsg>(&mut buf.as_slice()), Err(FrameError::TooLong(_))));
        let mut bad = 3u32.to_le_bytes().to_vec();
        bad.extend_from_slice(&[0xff, 0xff, 0xff]);
        assert!(matches!(read_frame::<ClientMsg>(&mut bad.as_slice()), Err(FrameError::Malformed(_))));
        let short = 10u32.to_le_bytes().to_vec();
        assert!(matches!(read_frame::<ClientMsg>(&mut short.as_slice()), Err(FrameError::Closed)));
        assert!(matches!(read_frame::<ClientMsg>(&mut [].as_slice()), Err(FrameError::Closed)));
    }

    #[test]
    fn errors_keep_their_kind_across_the_socket() {
        let e = StoreError::Conflict("D7 冲突".into());
        assert!(matches!(StoreError::from(WireError::from(&e)), StoreError::Conflict(m) if m == "D7 冲突"));
        let full = StoreError::DiskFull { path: "/x".into() };
        assert!(StoreError::from(WireError::from(&full)).is_retryable());
    }

    /// Seeds for the `server_frames` fuzz target: a client's hello and a few
    /// calls, and a server's welcome, replies and an event, each a stream of frames.
    /// `cargo test --lib write_server_fuzz_seeds -- --ignored`.
    #[test]
    #[ignore = "writes files into fuzz/corpus_seeds"]
    fn write_server_fuzz_seeds() {
        use crate::model::Answers;
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus_seeds/server_frames");
        std::fs::create_dir_all(&dir).unwrap();
        let mut client = Vec::new();
        write_frame(&mut client, &ClientMsg::Hello { protocol: PROTOCOL, release: release().into(), operator: Some("张三".into()) })
            .unwrap();
        let mut answers = Answers::new();
        answers.insert("D7".into(), Value::Text("户主常年患病，收入主要靠务工。".into()));
        for (id, request) in [
            Request::Summaries,
            Request::Find { query: Query::Pinyin("zs".into()), limit: 20 },
            Request::OpenForm(3),
            Request::SaveDraft { key: 3, base: Some(Answers::new()), answers },
            Request::Report(Scope { township: Some("鹿角镇".into()), village: None }),
            Request::FormDefinitions,
        ]
        .into_iter()
        .enumerate()
        {
            write_frame(&mut client, &ClientMsg::Call { id: id as u64 + 1, request }).unwrap();
        }
        std::fs::write(dir.join("client_calls.bin"), client).unwrap();
        let mut server = Vec::new();
        let access = Access::full("张三");
        write_frame(
            &mut server,
            &ServerMsg::Welcome {
                protocol: PROTOCOL,
                release: release().into(),
                access,
                round: Round::default(),
                note: None,
                store: "/tmp/store".into(),
            },
        )
        .unwrap();
        write_frame(&mut server, &ServerMsg::Reply { id: 1, part: Part::End(Ok(Response::Count(3))) }).unwrap();
        write_frame(&mut server, &ServerMsg::Reply { id: 2, part: Part::End(Err(WireError::Conflict("D7 冲突".into()))) }).unwrap();
        let kept = vec![(crate::form::FormRef::look_back_2021(), "id = \"huitoukan\"\nversion = 2021\n".to_string())];
        write_frame(&mut server, &ServerMsg::Reply { id: 6, part: Part::End(Ok(Response::Definitions(kept))) }).unwrap();
        write_frame(&mut server, &ServerMsg::Event(Event::Reload)).unwrap();
        std::fs::write(dir.join("server_replies.bin"), server).unwrap();
    }
}
