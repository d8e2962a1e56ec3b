//! The HA wire format (Java `HAConnection` / `HAService.HAClient`), both directions raw TCP with no
//! framing beyond fixed-size words, all big-endian:
//! - slave -> master: an 8-byte offset report, the slave's CommitLog max offset. The first one on
//!   a connection says where streaming starts (0: "from the start of the master's last CommitLog
//!   file"); the next ones acknowledge what the slave has stored.
//! - master -> slave: a 12-byte header (i64 physical offset, i32 size) followed by `size` bytes
//!   of CommitLog, cut anywhere (not on record boundaries). A header with size 0 is a heartbeat.

/// Bytes of a master -> slave transfer header.
pub const HEADER_LEN: usize = 12;
/// Bytes of a slave -> master offset report.
pub const REPORT_LEN: usize = 8;

/// A transfer header: the CommitLog bytes that follow start at `offset` and are `size` long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferHeader {
    pub offset: i64,
    pub size: i32,
}

impl TransferHeader {
    pub fn encode(self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[..8].copy_from_slice(&self.offset.to_be_bytes());
        out[8..].copy_from_slice(&self.size.to_be_bytes());
        out
    }

    /// Decodes the header at the start of `buf`; `None` when fewer than 12 bytes are there.
    pub fn decode(buf: &[u8]) -> Option<TransferHeader> {
        let offset = i64::from_be_bytes(buf.get(..8)?.try_into().ok()?);
        let size = i32::from_be_bytes(buf.get(8..HEADER_LEN)?.try_into().ok()?);
        Some(TransferHeader { offset, size })
    }

    pub fn is_heartbeat(self) -> bool {
        self.size == 0
    }
}

pub fn encode_report(offset: i64) -> [u8; REPORT_LEN] {
    offset.to_be_bytes()
}

/// The last complete report in `buf` (Java's master reads whatever arrived and keeps only the
/// newest 8-byte-aligned word) and how many bytes that consumed.
pub fn last_report(buf: &[u8]) -> Option<(i64, usize)> {
    let whole = buf.len() - buf.len() % REPORT_LEN;
    if whole == 0 {
        return None;
    }
    let word: [u8; REPORT_LEN] = buf.get(whole - REPORT_LEN..whole)?.try_into().ok()?;
    Some((i64::from_be_bytes(word), whole))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip_matches_recorded_java_bytes() {
        // Golden ha-master-slave units: (offset 32768, size 11654) and a heartbeat at 88844.
        let h = TransferHeader {
            offset: 32768,
            size: 11654,
        };
        assert_eq!(
            h.encode(),
            *b"\x00\x00\x00\x00\x00\x00\x80\x00\x00\x00\x2d\x86"
        );
        assert_eq!(TransferHeader::decode(&h.encode()), Some(h));
        let hb = TransferHeader::decode(&[0, 0, 0, 0, 0, 1, 0x5b, 0x0c, 0, 0, 0, 0]).unwrap();
        assert_eq!((hb.offset, hb.is_heartbeat()), (88844, true));
        assert_eq!(TransferHeader::decode(&[0; 11]), None);
        assert_eq!(encode_report(44422), [0, 0, 0, 0, 0, 0, 0xad, 0x86]);
    }

    #[test]
    fn last_report_takes_the_newest_whole_word() {
        assert_eq!(last_report(&[0; 7]), None);
        let mut buf = Vec::new();
        buf.extend_from_slice(&encode_report(5));
        buf.extend_from_slice(&encode_report(9));
        buf.extend_from_slice(&[0, 0, 0]);
        assert_eq!(last_report(&buf), Some((9, 16)));
    }
}
