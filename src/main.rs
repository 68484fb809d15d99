use clap::Parser;
use huitoukan::cli::{self, Cli, Command};

fn main() {
    let cli = Cli::parse();
    let result = match &cli.command {
        None => huitoukan::ui::run(&cli.global),
        Some(Command::Demo(args)) => cli::demo::run(&cli.global, args),
        Some(Command::Audit { command }) => cli::audit::run(&cli.global, command),
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            cli::print_error(&e);
            std::process::exit(1);
        }
    }
}
