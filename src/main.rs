//! The `autoorder` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

use clap::Parser;

use autoorder::cli::{Cli, Command, ConfigCommand};
use autoorder::config::Config;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(errors) => {
            eprintln!("configuration has {} problem(s):", errors.0.len());
            for e in &errors.0 {
                eprintln!("  {e}");
            }
            return ExitCode::from(2);
        }
    };
    let code = match cli.command {
        Command::Config {
            command: ConfigCommand::Check,
        } => {
            println!("configuration OK");
            println!("  store:     {}", config.store_name);
            println!("  mode:      {:?}", config.telegram.mode);
            println!(
                "  database:  {}",
                match &config.database {
                    autoorder::config::DatabaseUrl::Sqlite(p) => format!("SQLite {}", p.display()),
                    autoorder::config::DatabaseUrl::Postgres(_) => "PostgreSQL".to_string(),
                }
            );
            println!("  http:      {}", config.http_addr);
            println!("  webhook:   {}", config.telegram.webhook_path());
            println!("  timezone:  {}", config.timezone);
            Ok(0)
        }
        Command::Migrate => autoorder::boot::prepare_dirs(&config)
            .and_then(|()| autoorder::boot::init_logging(&config, cli.log_config.as_deref()))
            .and_then(|()| {
                let (_, pool) =
                    autoorder::boot::open_and_migrate(&config, std::time::Duration::from_secs(30))?;
                let mut conn = autoorder_schema::checkout(&pool)?;
                let pending = autoorder_schema::migrations::pending_migrations(&mut conn)?;
                println!("database is up to date ({} pending)", pending.len());
                Ok(0)
            }),
        Command::Broadcast { command } => {
            autoorder::boot::init_logging_console(&config).and_then(|()| {
                let (_, pool) =
                    autoorder::boot::open_and_migrate(&config, std::time::Duration::from_secs(30))?;
                autoorder::broadcast_cli::run(&pool, command)
            })
        }
        Command::Catalog { command } => {
            autoorder::boot::init_logging_console(&config).and_then(|()| {
                let (_, pool) =
                    autoorder::boot::open_and_migrate(&config, std::time::Duration::from_secs(30))?;
                autoorder::catalog_cli::run(&config, &pool, command)
            })
        }
        Command::ImportLegacy {
            from,
            dry_run,
            legacy_key,
        } => autoorder::boot::init_logging_console(&config).and_then(|()| {
            let (_, pool) =
                autoorder::boot::open_and_migrate(&config, std::time::Duration::from_secs(30))?;
            let args = autoorder::legacy_import::ImportArgs {
                from,
                dry_run,
                legacy_key,
            };
            autoorder::legacy_import::run(&config, &pool, &args)
        }),
        Command::Preflight { json } => autoorder::boot::init_logging_console(&config).map(|()| {
            let report = autoorder::preflight::run(&config);
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).unwrap_or_default()
                );
            } else {
                print!("{}", report.render());
            }
            report.exit_code()
        }),
        Command::Keys { command } => {
            autoorder::boot::init_logging_console(&config).and_then(|()| {
                let (_, pool) =
                    autoorder::boot::open_and_migrate(&config, std::time::Duration::from_secs(30))?;
                autoorder::keys_cli::run(&config, &pool, command)
            })
        }
        Command::Backup { command } => autoorder::boot::init_logging_console(&config)
            .and_then(|()| autoorder::backup_cli::run(&config, cli.config.as_deref(), command)),
        Command::Healthcheck { json } => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(anyhow::Error::from)
            .map(|rt| {
                let report = rt.block_on(autoorder::healthcheck::probe(&config));
                if json {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&report).unwrap_or_default()
                    );
                } else {
                    print!("{}", autoorder::healthcheck::render_table(&report));
                }
                report.status.exit_code()
            }),
        Command::Reconcile { json, gateway } => {
            Ok(match autoorder::boot::init_logging_console(&config) {
                Ok(()) => autoorder::reconcile_cli::run(&config, json, gateway),
                Err(e) => {
                    eprintln!("error: reconcile could not check: {e:#}");
                    autoorder::reconcile_cli::COULD_NOT_CHECK
                }
            })
        }
        Command::Run => autoorder::boot::prepare_dirs(&config)
            .and_then(|()| autoorder::boot::init_logging(&config, cli.log_config.as_deref()))
            .and_then(|()| autoorder::boot::run(config)),
    };
    match code {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) => {
            log::error!(target: "app", "{e:#}");
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
