//! The envelope around every stored value: magic, format version, postcard body.
//!
//! `HK` + version byte + postcard. A later release keeps a decoder for every
//! version it has ever written, so it can read an older store.

use serde::{de::DeserializeOwned, Serialize};

const MAGIC: &[u8; 2] = b"HK";
/// The record format this release writes.
pub const FORMAT_VERSION: u8 = 1;
/// Form records ([`FormRecord`]) are written as version 3 (version 2 gained
/// `confirmations`, version 3 names its form); versions 1 and 2 still
/// decode, as records of the 2021 look-back form.
pub const FORM_VERSION: u8 = 3;

use crate::model::{FormRecord, FormRecordV1, FormRecordV2};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("不是huitoukan的记录（开头标记不对）")]
    NotARecord,
    #[error("记录格式版本{0}比本程序新，请升级huitoukan后再打开")]
    Newer(u8),
    #[error("记录内容损坏：{0}")]
    Corrupt(String),
}

pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(MAGIC);
    out.push(FORMAT_VERSION);
    // postcard only fails on writer errors or unsupported types; Vec writers
    // and our plain data types cannot fail.
    postcard::to_extend(value, out).expect("postcard encoding into a Vec cannot fail")
}

/// A form record, as version [`FORM_VERSION`].
pub fn encode_form(form: &FormRecord) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(MAGIC);
    out.push(FORM_VERSION);
    postcard::to_extend(form, out).expect("postcard encoding into a Vec cannot fail")
}

pub fn decode<T: DeserializeOwned + 'static>(bytes: &[u8]) -> Result<T, DecodeError> {
    if bytes.len() < 3 || &bytes[..2] != MAGIC {
        return Err(DecodeError::NotARecord);
    }
    let corrupt = |e: postcard::Error| DecodeError::Corrupt(e.to_string());
    // Form records have their own version: 1 is the layout before
    // `confirmations`, 2 the one before the record named its form.
    if std::any::TypeId::of::<T>() == std::any::TypeId::of::<FormRecord>() {
        let form: FormRecord = match bytes[2] {
            1 => postcard::from_bytes::<FormRecordV1>(&bytes[3..]).map_err(corrupt)?.into(),
            2 => postcard::from_bytes::<FormRecordV2>(&bytes[3..]).map_err(corrupt)?.into(),
            3 => postcard::from_bytes(&bytes[3..]).map_err(corrupt)?,
            v if v > FORM_VERSION => return Err(DecodeError::Newer(v)),
            v => return Err(DecodeError::Corrupt(format!("未知的格式版本{v}"))),
        };
        let any: Box<dyn std::any::Any> = Box::new(form);
        return any.downcast::<T>().map(|b| *b).map_err(|_| DecodeError::Corrupt("类型不符".into()));
    }
    match bytes[2] {
        1 => postcard::from_bytes(&bytes[3..]).map_err(corrupt),
        v if v > FORMAT_VERSION => Err(DecodeError::Newer(v)),
        v => Err(DecodeError::Corrupt(format!("未知的格式版本{v}"))),
    }
}
