//! The store server's frame decoder, as a connection feeds it: any bytes
//! give whole messages or an error that closes the connection, never a
//! panic or an allocation larger than the frame cap; what decodes
//! re-encodes to the same message. Both directions (the client decodes the
//! server's frames with the same code).
#![no_main]
use huitoukan::server::protocol::{read_frame, write_frame, ClientMsg, FrameError, ServerMsg};
use libfuzzer_sys::fuzz_target;

fn drain<T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(data: &[u8]) {
    let mut r = data;
    // A connection reads frame after frame until one fails.
    for _ in 0..64 {
        match read_frame::<T>(&mut r) {
            Ok(msg) => {
                let mut again = Vec::new();
                write_frame(&mut again, &msg).expect("a decoded message encodes");
                let back: T = read_frame(&mut again.as_slice()).expect("re-encoded message decodes");
                assert_eq!(back, msg);
            }
            Err(FrameError::Closed | FrameError::TooLong(_) | FrameError::Malformed(_) | FrameError::Io(_)) => return,
        }
    }
}

fuzz_target!(|data: &[u8]| {
    drain::<ClientMsg>(data);
    drain::<ServerMsg>(data);
});
