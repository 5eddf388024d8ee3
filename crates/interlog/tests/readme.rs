//! The README's first example, and every call `serve --demo` prints, run as a new user runs
//! them: with bash and curl, against the `interlog` binary serving its demo data.

mod common;

use common::{serve, Server};
use serde_json::Value;
use std::process::Command;
use std::time::Duration;

/// `interlog serve --demo` on a port of its own, with the demo's own defaults (20,000
/// engagements up to now) and `args`; stopped when dropped.
struct Demo {
    server: Server,
    _dir: tempfile::TempDir,
}

impl Demo {
    fn start(args: &[&str]) -> Demo {
        let dir = tempfile::tempdir().unwrap();
        let server = Server::start(serve(dir.path()).arg("--demo").args(args));
        Demo { server, _dir: dir }
    }

    /// What the server printed, once it has printed the demo's last call.
    fn printed(&self) -> String {
        self.server.wait_printed(
            |text| {
                text.contains("# Genesys Web Services") && text.contains("/api/v2/ucs/interactions")
            },
            Duration::from_secs(300),
        )
    }
}

/// Runs a shell script with bash; its standard output.
fn bash(script: &str) -> String {
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{script}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The `export BASE=… ID=… SECRET=…` line the demo printed.
fn export_line(printed: &str) -> String {
    printed
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("export BASE="))
        .unwrap_or_else(|| panic!("no export line: {printed}"))
        .to_owned()
}

/// The demo's calls: (the comment naming the API, its commands).
fn demo_calls(printed: &str) -> Vec<(String, String)> {
    let block = &printed[printed.find("One call per API").unwrap()..];
    block
        .split("\n\n")
        .filter_map(|chunk| {
            let mut lines = chunk.lines().map(str::trim).filter(|l| !l.is_empty());
            let title = lines.next()?;
            title
                .starts_with('#')
                .then(|| (title.to_owned(), lines.collect::<Vec<_>>().join("\n")))
        })
        .collect()
}

/// The first `sh` block after `heading` in the README.
fn readme_block(heading: &str) -> String {
    let readme = include_str!("../../../README.md");
    let from = readme.find(heading).expect("the README has the heading");
    let rest = &readme[from..];
    let start = rest.find("```sh\n").unwrap() + "```sh\n".len();
    let end = rest[start..].find("```").unwrap() + start;
    rest[start..end].to_owned()
}

/// The JSON answer, and the records it holds under `key` (there must be some).
fn records(answer: &str, key: &str) -> usize {
    let v: Value =
        serde_json::from_str(answer).unwrap_or_else(|e| panic!("not JSON ({e}): {answer}"));
    let n = match &v[key] {
        Value::Array(items) => items.len(),
        Value::String(_) => 1,
        _ => 0,
    };
    assert!(n > 0, "no {key} in {answer}");
    n
}

/// Runs every call the demo printed, one per API, and checks each answers records.
fn every_demo_call_answers_data(printed: &str, export: &str) {
    let calls = demo_calls(printed);
    let expect = [
        ("# native", "engagements"),
        ("# Oracle Live Experience", "engagements"),
        ("# Zoom Contact Center", "engagements"),
        ("# Avaya Experience Platform", "id"),
        ("# Genesys Web Services", "interactions"),
    ];
    assert_eq!(calls.len(), expect.len(), "{printed}");
    for (title, key) in expect {
        let (_, commands) = calls
            .iter()
            .find(|(t, _)| t.starts_with(title))
            .unwrap_or_else(|| panic!("no {title} call: {printed}"));
        let answer = bash(&format!("{export}\n{commands}"));
        records(&answer, key);
    }
}

/// The last instant before now that falls on `weekday` at `hour`:00 UTC.
fn last(weekday: jiff::civil::Weekday, hour: i8) -> jiff::Timestamp {
    let now = jiff::Timestamp::now();
    let mut day = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    loop {
        let at = day
            .at(hour, 0, 0, 0)
            .to_zoned(jiff::tz::TimeZone::UTC)
            .unwrap()
            .timestamp();
        if day.weekday() == weekday && at <= now {
            return at;
        }
        day = day.yesterday().unwrap();
    }
}

/// The demo's data ends at the moment it is started, and the quietest hours of the week
/// (a Monday morning after the weekend, a Sunday night) once left the printed Zoom call
/// with an empty page: every call answers data whatever the day and hour.
#[test]
fn every_demo_call_answers_data_on_a_monday_morning_and_a_sunday_night() {
    use jiff::civil::Weekday;
    let runs: Vec<_> = [(Weekday::Monday, 7), (Weekday::Sunday, 23)]
        .into_iter()
        .map(|(weekday, hour)| {
            std::thread::spawn(move || {
                let end = last(weekday, hour).to_string();
                let demo = Demo::start(&["--demo-end", &end]);
                let printed = demo.printed();
                assert!(printed.contains("(20000 engagements)"), "{printed}");
                every_demo_call_answers_data(&printed, &export_line(&printed));
            })
        })
        .collect();
    for run in runs {
        run.join().unwrap();
    }
}

#[test]
fn the_readme_example_and_every_demo_call_work_against_serve_demo() {
    let demo = Demo::start(&[]);
    let printed = demo.printed();
    let export = export_line(&printed);
    assert!(
        !export.contains(":0 "),
        "the real port is printed: {export}"
    );

    // The README's first example, with the export line the demo printed.
    let example = readme_block("### The first calls");
    let readme_export = example
        .lines()
        .find(|l| l.starts_with("export BASE="))
        .expect("the example starts from the demo's export line");
    let script = example.replace(readme_export, &export);
    let answer = bash(&script);
    records(&answer, "engagements");

    // Every call the demo printed, one per API.
    every_demo_call_answers_data(&printed, &export);

    // The explorer, as the README's explorer section says: signed in with the client id and
    // secret the demo printed, every page of the demo's data.
    let pages = bash(&format!("{export}\n{EXPLORER_WALK}"));
    let statuses: Vec<&str> = pages.lines().collect();
    assert_eq!(statuses.len(), 5, "{pages}");
    for line in &statuses {
        assert!(line.starts_with("200 /ui"), "{pages}");
    }
    assert!(statuses[2].starts_with("200 /ui/engagements/"), "{pages}");
    assert!(
        statuses[3].starts_with("200 /ui/journey?customer="),
        "{pages}"
    );
    assert_eq!(statuses[4], "200 /ui/dashboard", "{pages}");
}

/// Signs in to the explorer with `$ID` and `$SECRET` through its form (with curl's cookie
/// jar), then fetches the overview, a search, the first engagement found, its customer's
/// journey and the dashboard, printing `STATUS PATH` for each. (`sed -n 1p`, not `head -1`: under
/// `pipefail`, `head` leaving early would fail the pipeline with SIGPIPE.)
const EXPLORER_WALK: &str = r#"
JAR=$(mktemp)
trap 'rm -f "$JAR"' EXIT
# The page has two forms (a user's password, a client's secret) with the same token.
CSRF=$(curl -s -c "$JAR" "$BASE/ui/login" \
  | sed -nE 's/.*name="csrf" value="([^"]+)".*/\1/p' | sed -n 1p)
SIGNED_IN=$(curl -s -o /dev/null -w '%{http_code}' -b "$JAR" -c "$JAR" \
  --data-urlencode "csrf=$CSRF" --data-urlencode "client_id=$ID" \
  --data-urlencode "client_secret=$SECRET" "$BASE/ui/login")
[ "$SIGNED_IN" = 303 ] || { echo "sign-in answered $SIGNED_IN" >&2; exit 1; }
SEARCH="/ui/engagements?channel_type=voice"
ENGAGEMENT=$(curl -s -b "$JAR" "$BASE$SEARCH" \
  | grep -oE 'href="/ui/engagements/[^"]+" class="engagement-link"' | sed -n 1p | cut -d'"' -f2)
JOURNEY=$(curl -s -b "$JAR" "$BASE$ENGAGEMENT" \
  | grep -oE 'href="/ui/journey[^"]+" class="journey-link"' | sed -n 1p | cut -d'"' -f2 \
  | sed 's/&amp;/\&/g')
for page in /ui "$SEARCH" "$ENGAGEMENT" "$JOURNEY" /ui/dashboard; do
  curl -s -o /dev/null -b "$JAR" -w "%{http_code} $page\n" "$BASE$page"
done
"#;
