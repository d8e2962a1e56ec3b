//! Output helpers: an aligned text table with mqadmin's column titles, and the date formats
//! mqadmin prints (local time, as Java's `SimpleDateFormat` does).

use std::io::Write;

/// A table printed with each column as wide as its widest cell, two spaces between columns.
/// Numeric columns can be right-aligned; trailing blanks are trimmed.
pub struct Table {
    headers: Vec<String>,
    right: Vec<bool>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[&str]) -> Table {
        Table {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            right: vec![false; headers.len()],
            rows: Vec::new(),
        }
    }

    /// Right-aligns the columns at `indexes` (counts, offsets).
    pub fn right_align(mut self, indexes: &[usize]) -> Table {
        for &i in indexes {
            if let Some(r) = self.right.get_mut(i) {
                *r = true;
            }
        }
        self
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// A line of dashes across the table (mqadmin's rule above a total line).
    pub fn rule(&mut self) {
        self.rows.push(Vec::new());
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn render(&self) -> String {
        let columns = self.headers.len();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(columns) {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let mut out = String::new();
        for (n, line) in std::iter::once(&self.headers)
            .chain(self.rows.iter())
            .enumerate()
        {
            // Titles stay left-aligned over right-aligned numbers, as mqadmin's `%-Ns` titles.
            let is_title = n == 0;
            if line.is_empty() && !is_title {
                let total = widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1);
                out.push_str(&"-".repeat(total));
                out.push('\n');
                continue;
            }
            let mut text = String::new();
            for (i, width) in widths.iter().enumerate() {
                let cell = line.get(i).map(String::as_str).unwrap_or("");
                if i > 0 {
                    text.push_str("  ");
                }
                let pad = width.saturating_sub(cell.chars().count());
                if self.right[i] && !is_title {
                    text.extend(std::iter::repeat_n(' ', pad));
                    text.push_str(cell);
                } else {
                    text.push_str(cell);
                    text.extend(std::iter::repeat_n(' ', pad));
                }
            }
            out.push_str(text.trim_end());
            out.push('\n');
        }
        out
    }

    pub fn print(&self, out: &mut impl Write) -> std::io::Result<()> {
        out.write_all(self.render().as_bytes())
    }
}

/// Broken-down local time of `millis` since the epoch: (year, month, day, hour, minute, second).
fn local_time(millis: i64) -> Option<(i32, i32, i32, i32, i32, i32)> {
    let secs = millis.div_euclid(1000) as libc::time_t;
    // SAFETY: localtime_r writes only into the struct we own.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&secs, &mut tm).is_null() {
            return None;
        }
        Some((
            tm.tm_year + 1900,
            tm.tm_mon + 1,
            tm.tm_mday,
            tm.tm_hour,
            tm.tm_min,
            tm.tm_sec,
        ))
    }
}

/// Java `UtilAll.timeMillisToHumanString2`: `yyyy-MM-dd HH:mm:ss,SSS`, local time.
pub fn human_millis(millis: i64) -> String {
    match local_time(millis) {
        Some((y, mo, d, h, mi, s)) => format!(
            "{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02},{:03}",
            millis.rem_euclid(1000)
        ),
        None => millis.to_string(),
    }
}

/// `UtilAll.YYYY_MM_DD_HH_MM_SS` (`yyyy-MM-dd HH:mm:ss`), local time.
pub fn date_time(millis: i64) -> String {
    match local_time(millis) {
        Some((y, mo, d, h, mi, s)) => format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}"),
        None => millis.to_string(),
    }
}

/// Parses `yyyy-MM-dd#HH:mm:ss:SSS` (`UtilAll.YYYY_MM_DD_HH_MM_SS_SSS`) as local time into
/// millis since the epoch.
pub fn parse_date_millis(text: &str) -> Option<i64> {
    let (date, time) = text.split_once('#')?;
    let mut d = date.split('-').map(|p| p.parse::<i32>().ok());
    let (year, month, day) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.split(':').map(|p| p.parse::<i32>().ok());
    let (hour, minute, second, millis) = (t.next()??, t.next()??, t.next()??, t.next()??);
    if d.next().is_some() || t.next().is_some() {
        return None;
    }
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || !(0..24).contains(&hour)
        || !(0..60).contains(&minute)
        || !(0..60).contains(&second)
        || !(0..1000).contains(&millis)
    {
        return None;
    }
    // SAFETY: mktime reads and normalises the struct we own.
    let secs = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        tm.tm_year = year - 1900;
        tm.tm_mon = month - 1;
        tm.tm_mday = day;
        tm.tm_hour = hour;
        tm.tm_min = minute;
        tm.tm_sec = second;
        tm.tm_isdst = -1;
        libc::mktime(&mut tm)
    };
    if secs == -1 {
        return None;
    }
    Some(secs as i64 * 1000 + millis as i64)
}

/// Java `MQVersion.getVersionDesc`: the `Version` constant of an ordinal. From V4_0_0_SNAPSHOT
/// (212) on the constants run V{4,5}_{0-9}_{0-9} as SNAPSHOT/release pairs, then
/// HIGHER_VERSION; older 3.x ordinals are shown as numbers.
pub fn version_desc(ordinal: i32) -> String {
    const FIRST_V4: i32 = 212;
    const HIGHER: i32 = FIRST_V4 + 400;
    if ordinal >= HIGHER {
        return "HIGHER_VERSION".into();
    }
    if ordinal < FIRST_V4 {
        return format!("V3({ordinal})");
    }
    let i = ordinal - FIRST_V4;
    let release = i / 2;
    let (major, minor, patch) = (4 + release / 100, release / 10 % 10, release % 10);
    let snapshot = if i % 2 == 0 { "_SNAPSHOT" } else { "" };
    format!("V{major}_{minor}_{patch}{snapshot}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_to_the_widest_cell() {
        let mut t = Table::new(&["#Name", "#N"]).right_align(&[1]);
        t.row(vec!["a-long-name".into(), "7".into()]);
        t.row(vec!["b".into(), "1234".into()]);
        assert_eq!(
            t.render(),
            "#Name        #N\na-long-name     7\nb            1234\n"
        );
    }

    #[test]
    fn version_names_match_java_ordinals() {
        assert_eq!(version_desc(407), "V4_9_7");
        assert_eq!(version_desc(212), "V4_0_0_SNAPSHOT");
        assert_eq!(version_desc(413), "V5_0_0");
        assert_eq!(version_desc(611), "V5_9_9");
        assert_eq!(version_desc(612), "HIGHER_VERSION");
    }

    #[test]
    fn date_round_trip_in_local_time() {
        let millis = parse_date_millis("2026-11-23#12:34:56:789").unwrap();
        assert_eq!(human_millis(millis), "2026-11-23 12:34:56,789");
        assert_eq!(date_time(millis), "2026-11-23 12:34:56");
        assert_eq!(parse_date_millis("2026-13-01#00:00:00:000"), None);
        assert_eq!(parse_date_millis("2026-11-23 12:34:56"), None);
    }
}
