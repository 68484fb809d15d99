use huitoukan::cli::{self, Cli, Command};

fn main() {
    let cli = Cli::parse();
    let result = match &cli.command {
        None => huitoukan::ui::run(&cli.global),
        Some(Command::Demo(args)) => cli::demo::run(&cli.global, args),
        Some(Command::Import(args)) => cli::import::run(&cli.global, args),
        Some(Command::Export(args)) => cli::export::run(&cli.global, args),
        Some(Command::Snapshot { command }) => cli::snapshot::run(&cli.global, command),
        Some(Command::Show(args)) => cli::show::run(&cli.global, args),
        Some(Command::Report(args)) => cli::report::run(&cli.global, args),
        Some(Command::Audit { command }) => cli::audit::run(&cli.global, command),
        Some(Command::Serve(args)) => cli::serve::run(&cli.global, args),
        Some(Command::Clerk { command }) => cli::clerk::run(&cli.global, command),
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            cli::print_error(&e);
            std::process::exit(1);
        }
    }
}
