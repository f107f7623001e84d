using System.CommandLine;

namespace Karma.Cli.Commands;

/// <summary><c>karma data …</c>: generate and validate search-log data.</summary>
internal static class DataCommands
{
    public static Command Create()
    {
        var dir = new Argument<DirectoryInfo>("dir") { Description = "Data directory with items.jsonl and events.csv" };
        var skipBad = new Option<bool>("--skip-bad") { Description = "Count and skip bad rows instead of failing" };
        var validate = new Command("validate", "Check a data directory and print statistics") { dir, skipBad };
        validate.SetAction(parse =>
        {
            Console.WriteLine(parse.GetValue(dir)!.FullName + " " + parse.GetValue(skipBad));
            return 0;
        });
        return new Command("data", "Generate and validate search-log data") { validate };
    }
}
