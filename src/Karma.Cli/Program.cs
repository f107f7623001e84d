using Karma.Cli.Commands;

return await KarmaCommandLine.CreateRoot().Parse(args).InvokeAsync();
