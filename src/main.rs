use huitoukan::cli::{self, Cli, Command};

fn main() {
    let cli = Cli::parse();
    let result = match &cli.command {
        None => huitoukan::ui::run(&cli.global),
        Some(command) => cli::guarded(&cli.global, || match command {
            Command::Demo(args) => cli::demo::run(&cli.global, args),
            Command::Import(args) => cli::import::run(&cli.global, args),
            Command::Export(args) => cli::export::run(&cli.global, args),
            Command::Snapshot { command } => cli::snapshot::run(&cli.global, command),
            Command::Show(args) => cli::show::run(&cli.global, args),
            Command::Report(args) => cli::report::run(&cli.global, args),
            Command::Audit { command } => cli::audit::run(&cli.global, command),
            Command::Serve(args) => cli::serve::run(&cli.global, args),
            Command::Clerk { command } => cli::clerk::run(&cli.global, command),
            Command::Form { command } => cli::form::run(command),
        }),
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            cli::print_error(&e);
            std::process::exit(1);
        }
    }
}
