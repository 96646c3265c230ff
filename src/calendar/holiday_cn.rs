//! The importer from holiday-cn JSON (<https://github.com/NateScarlet/holiday-cn>) to duewatch's
//! year files. Pure: text in, text out; the CLI reads and writes the files.
//!
//! holiday-cn lists, per notice year, only the dates a notice names (`isOffDay: true` a rest
//! day, `false` a make-up working day). Facts the importer respects:
//! - a file can name late-December dates of the year before (2019.json has 2018-12-29..31):
//!   inputs are merged **by date**, and a date given different meanings by two files is refused;
//! - an empty `papers` list means the notice is **not published**, not "no holidays": no file is
//!   written for that year, so the year stays uncovered (provisional) rather than wrongly empty.
//!
//! Every generated file is parsed back with [`super::file::parse_year`] before it is returned, so
//! the importer cannot write a file the loader would refuse.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::Deserialize;

use super::data::Source;
use super::date_runs;
use super::file::{FileError, line_and_column, parse_date, parse_year};
use super::{FIRST_DAY, LAST_DAY};

#[derive(Deserialize)]
struct RawFile {
    year: i32,
    papers: Vec<String>,
    days: Vec<RawDay>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDay {
    name: String,
    date: String,
    #[serde(rename = "isOffDay")]
    is_off_day: bool,
}

/// One input file: a name for messages (its path) and its text.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// The file's path, as shown in messages.
    pub origin: &'a str,
    /// The file's name (no directory), recorded in the generated file's header.
    pub file_name: &'a str,
    /// Its JSON text.
    pub text: &'a str,
}

/// The result of an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    /// Each year's file text, by year.
    pub years: BTreeMap<i32, String>,
    /// What the import left out, and why (an unpublished notice, a redundant weekday).
    pub notes: Vec<String>,
}

struct Named<'a> {
    off: bool,
    name: &'a str,
    year: i32,
    origin: &'a str,
}

/// Converts holiday-cn files into year files.
///
/// # Errors
/// Every problem across the inputs, each naming the file and line: malformed JSON or wrong
/// types, a year given by two files, a date outside its notice's year (December of the year
/// before excepted), a date two files disagree on.
pub fn import(inputs: &[Input<'_>]) -> Result<Imported, Vec<FileError>> {
    let mut errors = Vec::new();
    let mut notes = Vec::new();
    let mut files: BTreeMap<i32, (&Input<'_>, RawFile)> = BTreeMap::new();
    for input in inputs {
        let raw: RawFile = match serde_json::from_str(input.text) {
            Ok(raw) => raw,
            Err(e) => {
                errors.push(FileError {
                    origin: input.origin.to_owned(),
                    // serde_json counts an error at the end of a line as column 0.
                    line: e.line().max(1),
                    column: e.column().max(1),
                    message: format!("not a holiday-cn file: {e}"),
                    help: "give a holiday-cn year file (year, papers, days with name, date and \
                           isOffDay)"
                        .to_owned(),
                });
                continue;
            }
        };
        if !(FIRST_DAY.year()..=LAST_DAY.year()).contains(&raw.year) {
            // Refused before any date arithmetic on it (`year - 1` overflows at i32::MIN).
            let offset = input.text.find("\"year\"").unwrap_or(0);
            errors.push(at(
                input,
                offset,
                format!("year {} is out of range", raw.year),
                &format!(
                    "give a holiday-cn year file of a year between {} and {}",
                    FIRST_DAY.year(),
                    LAST_DAY.year()
                ),
            ));
            continue;
        }
        if raw.papers.is_empty() {
            notes.push(format!(
                "{}: the {} notice is not published (empty papers); no file written, {} stays \
                 provisional",
                input.origin, raw.year, raw.year
            ));
            continue;
        }
        if let Some((first, _)) = files.get(&raw.year) {
            errors.push(at(
                input,
                0,
                format!("year {} is also given by {}", raw.year, first.origin),
                "import one file per year",
            ));
            continue;
        }
        files.insert(raw.year, (input, raw));
    }

    // Merge by date across every file, refusing disagreements.
    let mut by_date: BTreeMap<NaiveDate, Named<'_>> = BTreeMap::new();
    let mut per_year: BTreeMap<i32, Vec<(NaiveDate, bool, &str)>> = BTreeMap::new();
    for (year, (input, raw)) in &files {
        let year = *year;
        for day in &raw.days {
            let offset = input.text.find(&format!("\"{}\"", day.date)).unwrap_or(0);
            let date = match parse_date(&day.date) {
                Ok(date) => date,
                Err(message) => {
                    errors.push(at(input, offset, message, "dates are YYYY-MM-DD"));
                    continue;
                }
            };
            if day.name.trim().is_empty() {
                // The year file would refuse it; say so here, at the input's line.
                errors.push(at(
                    input,
                    offset,
                    format!("{date} has an empty name"),
                    "give the holiday's name as the notice does (元旦, 春节, …)",
                ));
                continue;
            }
            if !(date.year() == year || (date.year() == year - 1 && date.month() == 12)) {
                errors.push(at(
                    input,
                    offset,
                    format!("{date} is outside the {year} notice"),
                    "a notice names dates of its year and of the December before; check the file",
                ));
                continue;
            }
            if !day.is_off_day && !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
                // holiday-cn marks the weekday a holiday ends on as "not off" once (2020-02-03,
                // after the Spring Festival extension). A weekday is a working day anyway, and
                // our files only list make-up weekend days, so it is left out, and said so.
                let (line, _) = line_and_column(input.text, offset);
                notes.push(format!(
                    "{}:{line}: {date} ({}) is marked a working day of {}; weekdays are working \
                     days already, so it is left out",
                    input.origin,
                    date.weekday(),
                    day.name
                ));
                continue;
            }
            if let Some(first) = by_date.get(&date) {
                if first.off != day.is_off_day || first.name != day.name {
                    errors.push(at(
                        input,
                        offset,
                        format!(
                            "{date} is given two meanings: {} in {} ({} notice), {} here",
                            meaning(first.off, first.name),
                            first.origin,
                            first.year,
                            meaning(day.is_off_day, &day.name)
                        ),
                        "correct the file that disagrees with the State Council notice",
                    ));
                    continue;
                }
                if first.year == year {
                    continue; // the same date listed twice in one file, with one meaning
                }
            } else {
                by_date.insert(
                    date,
                    Named {
                        off: day.is_off_day,
                        name: &day.name,
                        year,
                        origin: input.origin,
                    },
                );
            }
            per_year
                .entry(year)
                .or_default()
                .push((date, day.is_off_day, &day.name));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    let mut years = BTreeMap::new();
    for (year, (input, raw)) in &files {
        let days = per_year.remove(year).unwrap_or_default();
        if days.is_empty() {
            return Err(vec![at(
                input,
                0,
                format!("the {year} notice names no dates"),
                "a published notice always names its holidays; check the file",
            )]);
        }
        let text = render(*year, input.file_name, &raw.papers, &days);
        let origin = format!("{} (as imported)", input.origin);
        if let Err(e) = parse_year(&text, &Source::Shipped, &origin, Some(*year)) {
            return Err(e.0);
        }
        years.insert(*year, text);
    }
    Ok(Imported { years, notes })
}

fn meaning(off: bool, name: &str) -> String {
    if off {
        format!("a rest day of {name}")
    } else {
        format!("a make-up working day for {name}")
    }
}

fn at(input: &Input<'_>, offset: usize, message: String, help: &str) -> FileError {
    let (line, column) = line_and_column(input.text, offset);
    FileError {
        origin: input.origin.to_owned(),
        line,
        column,
        message,
        help: help.to_owned(),
    }
}

/// Writes a year file: holidays in the order the notice names them, rest days as ranges.
fn render(
    year: i32,
    file_name: &str,
    papers: &[String],
    days: &[(NaiveDate, bool, &str)],
) -> String {
    let quote = |s: &str| toml::Value::String(s.to_owned()).to_string();
    let mut out = format!(
        "# National working-day calendar for {year}, as the State Council notice below declares it.\n\
         # Imported by `duewatch calendar import --from holiday-cn` from {file_name} (holiday-cn, MIT).\n\
         # Each holiday lists its rest days and its make-up working days (Saturdays or Sundays worked).\n\
         # Ranges are inclusive. See docs/administrator.md, \"Calendar files\".\n\
         year = {year}\n"
    );
    for paper in papers {
        out.push_str(&format!("\n[[notices]]\nurl = {}\n", quote(paper)));
    }
    let mut names: Vec<&str> = Vec::new();
    for (_, _, name) in days {
        if !names.contains(name) {
            names.push(name);
        }
    }
    for name in names {
        let mut rest: Vec<NaiveDate> = days
            .iter()
            .filter(|(_, off, n)| *off && *n == name)
            .map(|(d, ..)| *d)
            .collect();
        let mut work: Vec<NaiveDate> = days
            .iter()
            .filter(|(_, off, n)| !*off && *n == name)
            .map(|(d, ..)| *d)
            .collect();
        rest.sort();
        work.sort();
        out.push_str(&format!("\n[[holidays]]\nname = {}\n", quote(name)));
        if !rest.is_empty() {
            let items: Vec<String> = date_runs(&rest)
                .into_iter()
                .map(|(a, b)| {
                    if a == b {
                        format!("\"{a}\"")
                    } else {
                        format!("\"{a}..{b}\"")
                    }
                })
                .collect();
            out.push_str(&format!("rest = [{}]\n", items.join(", ")));
        }
        if !work.is_empty() {
            let items: Vec<String> = work.iter().map(|d| format!("\"{d}\"")).collect();
            out.push_str(&format!("work = [{}]\n", items.join(", ")));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(origin: &'a str, text: &'a str) -> Input<'a> {
        Input {
            origin,
            file_name: origin,
            text,
        }
    }

    const Y2027_UNPUBLISHED: &str = r#"{"year": 2027, "papers": [], "days": []}"#;

    #[test]
    fn a_day_without_a_name_is_refused_at_its_line() {
        let text = "{\"year\": 2027, \"papers\": [\"u\"], \"days\": [\n{\"name\": \"\", \"date\": \"2027-01-01\", \"isOffDay\": true}]}";
        let errors = import(&[input("2027.json", text)]).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(
            errors[0].origin, "2027.json",
            "the input is named, not the generated file"
        );
        assert_eq!(errors[0].line, 2);
        assert!(
            errors[0].message.contains("2027-01-01 has an empty name"),
            "{}",
            errors[0]
        );
    }

    #[test]
    fn an_unpublished_notice_writes_no_file_and_says_so() {
        let imported = import(&[input("2027.json", Y2027_UNPUBLISHED)]).unwrap();
        assert!(imported.years.is_empty());
        assert!(
            imported.notes[0].contains("not published"),
            "{:?}",
            imported.notes
        );
    }

    #[test]
    fn december_dates_of_the_year_before_stay_with_their_notice() {
        let text = r#"{"year": 2019, "papers": ["u"], "days": [
            {"name": "元旦", "date": "2018-12-29", "isOffDay": false},
            {"name": "元旦", "date": "2018-12-30", "isOffDay": true},
            {"name": "元旦", "date": "2018-12-31", "isOffDay": true},
            {"name": "元旦", "date": "2019-01-01", "isOffDay": true}]}"#;
        let imported = import(&[input("2019.json", text)]).unwrap();
        let file = &imported.years[&2019];
        assert!(
            file.contains("rest = [\"2018-12-30..2019-01-01\"]"),
            "{file}"
        );
        assert!(file.contains("work = [\"2018-12-29\"]"), "{file}");
    }

    #[test]
    fn bad_inputs_are_refused_naming_the_file_and_line() {
        let table: &[(&str, &str, usize, &str)] = &[
            (
                "malformed JSON",
                "{\"year\": 2026,\n \"papers\": [\n",
                3,
                "not a holiday-cn file",
            ),
            (
                "a wrong type",
                "{\"year\": 2026, \"papers\": [\"u\"],\n \"days\": [{\"name\": \"A\", \"date\": \"2026-10-01\", \"isOffDay\": \"yes\"}]}",
                2,
                "invalid type",
            ),
            (
                "a missing field",
                "{\"year\": 2026,\n \"days\": []}",
                2,
                "missing field `papers`",
            ),
            (
                "an impossible date",
                "{\"year\": 2026, \"papers\": [\"u\"], \"days\": [\n{\"name\": \"A\", \"date\": \"2026-02-30\", \"isOffDay\": true}]}",
                2,
                "does not exist",
            ),
            (
                "a date outside the year",
                "{\"year\": 2026, \"papers\": [\"u\"], \"days\": [\n{\"name\": \"A\", \"date\": \"2024-12-31\", \"isOffDay\": true}]}",
                2,
                "outside the 2026 notice",
            ),
        ];
        for (what, text, line, words) in table {
            let errors = import(&[input("x.json", text)]).expect_err(what);
            assert_eq!(errors[0].origin, "x.json", "{what}");
            assert_eq!(errors[0].line, *line, "{what}: {}", errors[0]);
            assert!(errors[0].message.contains(words), "{what}: {}", errors[0]);
        }
    }

    #[test]
    fn two_files_disagreeing_on_a_date_are_refused_naming_both() {
        let a = r#"{"year": 2023, "papers": ["u"], "days": [{"name": "元旦", "date": "2022-12-31", "isOffDay": true}]}"#;
        let b = r#"{"year": 2022, "papers": ["u"], "days": [{"name": "元旦", "date": "2022-12-31", "isOffDay": false}]}"#;
        let errors = import(&[input("2023.json", a), input("2022.json", b)]).unwrap_err();
        let msg = errors[0].to_string();
        assert!(msg.contains("2022-12-31 is given two meanings"), "{msg}");
        assert!(
            msg.contains("2022.json") && msg.contains("2023.json"),
            "{msg}"
        );
    }

    #[test]
    fn a_weekday_marked_working_is_left_out_with_a_note() {
        let text = r#"{"year": 2020, "papers": ["u"], "days": [
            {"name": "春节", "date": "2020-02-02", "isOffDay": true},
            {"name": "春节", "date": "2020-02-03", "isOffDay": false}]}"#;
        let imported = import(&[input("2020.json", text)]).unwrap();
        assert!(!imported.years[&2020].contains("2020-02-03"));
        assert!(
            imported.notes[0].contains("2020-02-03 (Mon)"),
            "{:?}",
            imported.notes
        );
    }
}
