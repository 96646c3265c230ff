//! The Chinese spellings of a case's channel and close reason, as case files and case systems
//! write them (当面, 信函, 网络, 传真; 撤回, 合并, 当场答复), beside the English names. Pure: text in,
//! [`Channel`] or [`CloseReason`] out.

use super::{Channel, CloseReason};

/// A channel, in Chinese or by its English name (`in_person`, `mail`, `online`, `fax`).
///
/// # Errors
/// Any other text, naming the accepted English names.
pub fn channel(v: &str) -> Result<Channel, String> {
    match v {
        "当面" => Ok(Channel::InPerson),
        "信函" => Ok(Channel::Mail),
        "网络" => Ok(Channel::Online),
        "传真" => Ok(Channel::Fax),
        _ => Channel::parse(v),
    }
}

/// A close reason, in Chinese or by its English name (`withdrawn`, `merged`,
/// `answered_on_spot`).
///
/// # Errors
/// Any other text, naming the accepted English names.
pub fn close_reason(v: &str) -> Result<CloseReason, String> {
    match v {
        "撤回" => Ok(CloseReason::Withdrawn),
        "合并" => Ok(CloseReason::Merged),
        "当场答复" => Ok(CloseReason::AnsweredOnSpot),
        _ => CloseReason::parse(v),
    }
}
