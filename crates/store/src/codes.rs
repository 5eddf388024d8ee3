//! How the model's enums are stored by every backend: their position in the enum's `ALL` list.
//! The enums only ever grow at the end, so stored numbers stay valid.

use interlog_model::ChannelType;

pub fn code<T: PartialEq + Copy>(all: &[T], v: T) -> i64 {
    all.iter().position(|x| *x == v).expect("value is in ALL") as i64
}

/// One bit per channel type the engagement used.
pub fn channel_mask(types: impl IntoIterator<Item = ChannelType>) -> i64 {
    types
        .into_iter()
        .fold(0, |m, t| m | (1 << code(ChannelType::ALL, t)))
}
