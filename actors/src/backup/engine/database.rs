//! Dumping the database: PostgreSQL `pg_dump` from the snapshot the row counts are taken in, SQLite `VACUUM INTO`; connections and tool checks.

use super::*;

/// Splits the password out of a PostgreSQL URL, so it goes through `PGPASSWORD` and never
/// shows in a process list.
pub fn split_pg_password(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_string(), None);
    };
    let (auth, host) = match rest.rsplit_once('@') {
        Some(x) => x,
        None => return (url.to_string(), None),
    };
    match auth.split_once(':') {
        Some((user, pw)) => (
            format!("{scheme}://{user}@{host}"),
            Some(percent_decode(pw)),
        ),
        None => (url.to_string(), None),
    }
}

pub(super) fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `url` with another database name.
pub fn pg_url_with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let after_scheme = base.find("://").map(|i| i + 3).unwrap_or(0);
    let root = match base[after_scheme..].find('/') {
        Some(i) => &base[..after_scheme + i],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{db}?{q}"),
        None => format!("{root}/{db}"),
    }
}

pub(super) fn pg_command(tool: &str, url: &str) -> (Command, String) {
    let (clean, pw) = split_pg_password(url);
    let mut cmd = Command::new(tool);
    if let Some(pw) = pw {
        cmd.env("PGPASSWORD", pw);
    }
    (cmd, clean)
}

/// Major version of a PostgreSQL client tool; a clear error when it is missing.
pub(super) fn tool_major(tool: &str) -> Result<(u32, String), String> {
    let out = Command::new(tool).arg("--version").output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            format!("{tool} not found on PATH: install the PostgreSQL client tools (postgresql-client) matching the server")
        } else {
            format!("running {tool}: {e}")
        }
    })?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let version = text
        .rsplit_once(") ")
        .map(|(_, v)| v)
        .or_else(|| text.split_whitespace().last())
        .unwrap_or("");
    let major = version
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|m| m.parse::<u32>().ok())
        .ok_or_else(|| format!("cannot read the version of {tool} from {text:?}"))?;
    Ok((
        major,
        version.split_whitespace().next().unwrap_or("").to_string(),
    ))
}

pub(super) fn first_line(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("no output")
        .to_string()
}

#[derive(QueryableByName)]
pub(super) struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

#[derive(QueryableByName)]
pub(super) struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

pub(super) fn valid_table(name: &str) -> bool {
    !name.is_empty()
        && name.len() < 64
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Row counts of every user table that exists.
pub(super) fn count_existing(conn: &mut DbConnection) -> Result<BTreeMap<String, i64>, String> {
    let names: Vec<String> = match conn {
        DbConnection::Pg(c) => diesel::sql_query(
            "SELECT table_name::text AS name FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
        )
        .load::<Name>(c),
        DbConnection::Sqlite(c) => diesel::sql_query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )
        .load::<Name>(c),
    }
    .map_err(|e| format!("listing tables: {e}"))?
    .into_iter()
    .map(|n| n.name)
    .filter(|n| valid_table(n))
    .collect();
    count_tables(conn, names.iter().map(String::as_str))
}

/// Row counts of the named tables (names are checked, they may come from metadata).
pub(super) fn count_tables<'a>(
    conn: &mut DbConnection,
    tables: impl Iterator<Item = &'a str>,
) -> Result<BTreeMap<String, i64>, String> {
    let mut out = BTreeMap::new();
    for t in tables {
        if !valid_table(t) {
            return Err(format!("invalid table name {t:?}"));
        }
        let q = format!("SELECT COUNT(*) AS n FROM \"{t}\"");
        let n =
            autoorder_schema::on_backend!(conn, c => diesel::sql_query(&q).get_result::<Count>(c))
                .map_err(|e| format!("counting {t}: {e}"))?
                .n;
        out.insert(t.to_string(), n);
    }
    Ok(out)
}

pub(super) fn open_sqlite(path: &Path) -> Result<DbConnection, String> {
    let mut c = diesel::SqliteConnection::establish(&path.to_string_lossy())
        .map_err(|e| format!("opening SQLite {}: {e}", path.display()))?;
    c.batch_execute("PRAGMA busy_timeout = 10000;")
        .map_err(|e| e.to_string())?;
    Ok(DbConnection::Sqlite(c))
}

pub(super) fn open_pg(url: &str) -> Result<diesel::PgConnection, String> {
    diesel::PgConnection::establish(url).map_err(|e| {
        // diesel's message may echo the URL; keep only the server's reason.
        let text = e.to_string();
        format!(
            "connecting to PostgreSQL: {}",
            text.lines().next().unwrap_or("")
        )
    })
}

pub(super) struct Dumped {
    pub(super) path: PathBuf,
    pub(super) inner_path: String,
    pub(super) counts: BTreeMap<String, i64>,
    pub(super) versions: BTreeMap<String, String>,
}

pub(super) fn dump(db: &DbTarget, work: &Path) -> Result<Dumped, String> {
    let mut versions = BTreeMap::new();
    versions.insert("autoorder".into(), env!("CARGO_PKG_VERSION").to_string());
    match db {
        DbTarget::Sqlite(path) => {
            if !path.exists() {
                return Err(format!("SQLite database {} does not exist", path.display()));
            }
            let out = work.join("autoorder.sqlite3");
            let mut conn = open_sqlite(path)?;
            let q = format!(
                "VACUUM INTO '{}'",
                out.to_string_lossy().replace('\'', "''")
            );
            autoorder_schema::on_backend!(&mut conn, c => c.batch_execute(&q))
                .map_err(|e| format!("snapshotting SQLite: {e}"))?;
            drop(conn);
            let mut snap = open_sqlite(&out)?;
            let counts = count_existing(&mut snap)?;
            #[derive(QueryableByName)]
            struct V {
                #[diesel(sql_type = diesel::sql_types::Text)]
                v: String,
            }
            if let DbConnection::Sqlite(c) = &mut snap
                && let Ok(v) = diesel::sql_query("SELECT sqlite_version() AS v").get_result::<V>(c)
            {
                versions.insert("sqlite".into(), v.v);
            }
            Ok(Dumped {
                path: out,
                inner_path: "db/autoorder.sqlite3".into(),
                counts,
                versions,
            })
        }
        DbTarget::Postgres(url) => {
            let (client_major, client_version) = tool_major("pg_dump")?;
            let mut c = open_pg(url)?;
            #[derive(QueryableByName)]
            struct S {
                #[diesel(sql_type = diesel::sql_types::Text)]
                s: String,
            }
            let server_num: i64 = diesel::sql_query("SHOW server_version_num")
                .get_result::<ServerNum>(&mut c)
                .map_err(|e| format!("reading the server version: {e}"))?
                .server_version_num
                .parse()
                .unwrap_or(0);
            let server_major = (server_num / 10000) as u32;
            if client_major < server_major {
                return Err(format!(
                    "pg_dump {client_version} is older than the PostgreSQL {server_major} server; install pg_dump {server_major} or newer"
                ));
            }
            versions.insert("pg_dump".into(), client_version);
            versions.insert("postgres_server".into(), server_num.to_string());
            c.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .map_err(|e| format!("starting the snapshot: {e}"))?;
            let snapshot = diesel::sql_query("SELECT pg_export_snapshot() AS s")
                .get_result::<S>(&mut c)
                .map_err(|e| format!("exporting the snapshot: {e}"))?
                .s;
            let mut conn = DbConnection::Pg(c);
            let counts = count_existing(&mut conn)?;
            let out = work.join("autoorder.pgdump");
            let (mut cmd, clean) = pg_command("pg_dump", url);
            let result = cmd
                .args(["--format=custom", "--compress=0", "--no-owner"])
                .arg(format!("--snapshot={snapshot}"))
                .arg(format!("--file={}", out.display()))
                .arg(format!("--dbname={clean}"))
                .output()
                .map_err(|e| format!("running pg_dump: {e}"))?;
            if let DbConnection::Pg(c) = &mut conn {
                let _ = c.batch_execute("COMMIT");
            }
            if !result.status.success() {
                return Err(format!("pg_dump failed: {}", first_line(&result.stderr)));
            }
            Ok(Dumped {
                path: out,
                inner_path: "db/autoorder.pgdump".into(),
                counts,
                versions,
            })
        }
    }
}

#[derive(QueryableByName)]
pub(super) struct ServerNum {
    #[diesel(sql_type = diesel::sql_types::Text)]
    server_version_num: String,
}
