//! Offset message ids: the store host (IPv4 4 bytes or IPv6 16 bytes, then an `i32` port) and the
//! record's physical offset (`i64`), as upper-case hex (`MessageDecoder.createMessageId`): 32
//! characters for an IPv4 store host, 56 for IPv6.

use std::fmt::Write;
use std::net::SocketAddr;

use super::write_host;

/// The offset message id of the record at `phy_offset` stored by `store_host`.
pub fn create_offset_msg_id(store_host: &SocketAddr, phy_offset: i64) -> String {
    let mut raw = [0u8; 28];
    let n = write_host(&mut raw, store_host);
    raw[n..n + 8].copy_from_slice(&phy_offset.to_be_bytes());
    let mut s = String::with_capacity((n + 8) * 2);
    for b in &raw[..n + 8] {
        let _ = write!(s, "{b:02X}");
    }
    s
}

/// Splits an offset message id back into store host and physical offset.
pub fn parse_offset_msg_id(id: &str) -> Option<(SocketAddr, i64)> {
    let v6 = match id.len() {
        32 => false,
        56 => true,
        _ => return None,
    };
    let mut raw = [0u8; 28];
    for (i, chunk) in id.as_bytes().chunks(2).enumerate() {
        let hex = std::str::from_utf8(chunk).ok()?;
        *raw.get_mut(i)? = u8::from_str_radix(hex, 16).ok()?;
    }
    let n = if v6 { 20 } else { 8 };
    let host = super::read_host(&raw, v6)?;
    let offset = i64::from_be_bytes(raw.get(n..n + 8)?.try_into().ok()?);
    Some((host, offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_and_ipv6_ids() {
        let host: SocketAddr = "127.0.0.1:10911".parse().unwrap();
        // From the golden main-master manifest.
        assert_eq!(
            create_offset_msg_id(&host, 0),
            "7F00000100002A9F0000000000000000"
        );
        assert_eq!(
            create_offset_msg_id(&host, 0x6745A),
            "7F00000100002A9F000000000006745A"
        );
        assert_eq!(
            parse_offset_msg_id("7F00000100002A9F000000000006745A"),
            Some((host, 0x6745A))
        );
        let v6: SocketAddr = "[::1]:10911".parse().unwrap();
        let id = create_offset_msg_id(&v6, 42);
        assert_eq!(id.len(), 56);
        assert_eq!(
            id,
            "0000000000000000000000000000000100002A9F000000000000002A"
        );
        assert_eq!(parse_offset_msg_id(&id), Some((v6, 42)));
        assert_eq!(parse_offset_msg_id("XYZ"), None);
        assert_eq!(
            parse_offset_msg_id("7F00000100002A9F000000000006745G"),
            None
        );
    }
}
