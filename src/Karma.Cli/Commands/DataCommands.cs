using System.CommandLine;
using System.Globalization;
using Karma.Core.Data;
using Karma.Core.Data.Synthetic;
using Spectre.Console;

namespace Karma.Cli.Commands;

/// <summary><c>karma data …</c>: generate and validate search-log data.</summary>
internal static class DataCommands
{
    private const int ShownBadRows = 5;

    /// <summary>Result-page positions (1 = top) whose click-through rate the generate table shows.</summary>
    private static readonly int[] CtrPositions = [1, 5, 10];

    public static Command Create() => new("data", "Generate and validate search-log data")
    {
        CreateGenerate(),
        CreateValidate(),
    };

    private static Command CreateGenerate()
    {
        var preset = new Option<string>("--preset")
        {
            Description = "Preset (docs/synthetic-data.md): " + string.Join(", ", SyntheticPreset.Names),
            DefaultValueFactory = _ => "tiny",
        };
        var seed = new Option<int>("--seed") { Description = "Random seed", DefaultValueFactory = _ => 42 };
        var output = new Option<DirectoryInfo>("--out")
        {
            Description = "Output directory (created if missing)",
            Required = true,
        };
        var generate = new Command("generate", "Write a seeded synthetic search log (items.jsonl, events.csv)")
        {
            preset, seed, output,
        };
        generate.SetAction(parse =>
        {
            string name = parse.GetValue(preset)!;
            if (!SyntheticPreset.Names.Contains(name))
            {
                Console.Error.WriteLine($"error: unknown preset '{name}' (expected one of {string.Join(", ", SyntheticPreset.Names)})");
                return 2;
            }

            string dir = parse.GetValue(output)!.FullName;
            var summary = SyntheticLogGenerator.Generate(SyntheticPreset.Get(name), parse.GetValue(seed), dir,
                new StderrProgress());
            var table = new Table().Title($"[bold]synthetic log[/] {Markup.Escape(dir)}").AddColumn("").AddColumn(new TableColumn("value").RightAligned());
            Row(table, "preset", summary.Preset);
            Row(table, "seed", summary.Seed);
            Row(table, "items", summary.Items);
            Row(table, "leaf categories", summary.Leaves);
            Row(table, "cold items", $"{summary.ColdItems:N0} ({Percent(summary.ColdItems, summary.Items)})");
            Row(table, "users", summary.Users);
            Row(table, "requests", summary.Requests);
            Row(table, "events", summary.Events);
            Row(table, "  impressions", summary.Impressions);
            Row(table, "  clicks", summary.Clicks);
            Row(table, "  carts", summary.Carts);
            Row(table, "  purchases", summary.Purchases);
            if (summary.Realism is { } r)
            {
                Row(table, "out-of-interest requests", $"{r.OutOfInterestRequests:N0} ({Percent(r.OutOfInterestRequests, summary.Requests)})");
                Row(table, "  among final requests", $"{r.FinalOutOfInterest:N0} ({Percent(r.FinalOutOfInterest, summary.Users)})");
                Row(table, "reformulated requests", $"{r.ReformulatedRequests:N0} ({Percent(r.ReformulatedRequests, summary.Requests)})");
                Row(table, "items arriving late", $"{r.LateItems:N0} ({Percent(r.LateItems, summary.Items)})");
                Row(table, "CTR @1 / @5 / @10", string.Join(" / ", CtrPositions.Select(p => Rate(r.ClickThroughAt(p)))));
            }

            Row(table, "items.jsonl", FileSize(Path.Combine(dir, ItemsJsonl.FileName)));
            Row(table, "events.csv", FileSize(Path.Combine(dir, EventsCsv.FileName)));
            Row(table, "seconds", summary.Seconds.ToString("F2", CultureInfo.InvariantCulture));
            AnsiConsole.Write(table);
            return 0;
        });
        return generate;
    }

    private static Command CreateValidate()
    {
        var dir = new Argument<DirectoryInfo>("dir") { Description = "Data directory with items.jsonl and events.csv" };
        var skipBad = new Option<bool>("--skip-bad") { Description = "Count and skip bad rows instead of failing" };
        var validate = new Command("validate", "Check a data directory and print statistics") { dir, skipBad };
        validate.SetAction(parse =>
        {
            string path = parse.GetValue(dir)!.FullName;
            var policy = parse.GetValue(skipBad) ? BadRowPolicy.Skip : BadRowPolicy.Fail;
            SearchLog log;
            try
            {
                log = SearchLog.Load(path, policy);
            }
            catch (DataFormatException e)
            {
                Console.Error.WriteLine("error: " + e.Message);
                return 1;
            }

            var s = DataStatistics.Compute(log);
            var table = new Table().Title($"[bold]data[/] {Markup.Escape(path)}").AddColumn("").AddColumn(new TableColumn("value").RightAligned());
            Row(table, "items", s.Items);
            Row(table, "categories", s.Categories);
            Row(table, "image dim", s.ImageDim);
            Row(table, "items never engaged", $"{s.ItemsNeverEngaged:N0} ({Percent(s.ItemsNeverEngaged, s.Items)})");
            Row(table, "users", s.Users);
            Row(table, "users with >= 3 engagements", s.UsersWithThreeEngagements);
            Row(table, "requests", s.Requests);
            Row(table, "requests with query", $"{s.RequestsWithQuery:N0} ({Percent(s.RequestsWithQuery, s.Requests)})");
            Row(table, "events", s.Events);
            foreach (var (action, count) in s.EventsByAction.OrderBy(p => p.Key))
            {
                Row(table, "  " + action.ToFileName(), count);
            }

            Row(table, "engaged events", s.EngagedEvents);
            Row(table, "time span", s.Requests == 0 ? "-"
                : $"{DateTimeOffset.FromUnixTimeSeconds(s.FirstTimestamp):yyyy-MM-dd} .. {DateTimeOffset.FromUnixTimeSeconds(s.LastTimestamp):yyyy-MM-dd} ({s.Span.TotalDays:F1} days)");
            Row(table, "train examples", s.TrainExamples);
            Row(table, "validation examples", s.ValidationExamples);
            Row(table, "test examples", s.TestExamples);
            Row(table, "cold test targets", $"{s.ColdTestTargets:N0} ({Percent(s.ColdTestTargets, s.TestExamples)})");
            Row(table, "bad item rows skipped", s.BadItemRows);
            Row(table, "bad event rows skipped", s.BadEventRows);
            AnsiConsole.Write(table);
            if (policy == BadRowPolicy.Skip)
            {
                ReportSkipped(ItemsJsonl.FileName, log.ItemErrors);
                ReportSkipped(EventsCsv.FileName, log.EventErrors);
            }

            return 0;
        });
        return validate;
    }

    private static void ReportSkipped(string file, BadRowReport report)
    {
        Console.WriteLine($"{file}: skipped {report.Count:N0} bad row(s)");
        foreach (var e in report.Examples.Take(ShownBadRows))
        {
            Console.WriteLine("  " + e.Message);
        }

        if (report.Count > ShownBadRows)
        {
            Console.WriteLine($"  ... and {report.Count - ShownBadRows:N0} more");
        }
    }

    private static void Row(Table table, string name, long value) => Row(table, name, value.ToString("N0", CultureInfo.InvariantCulture));

    private static void Row(Table table, string name, string value) => table.AddRow(Markup.Escape(name), Markup.Escape(value));

    private static string Percent(long part, long whole) =>
        whole == 0 ? "-" : (100.0 * part / whole).ToString("F1", CultureInfo.InvariantCulture) + "%";

    private static string Rate(double rate) =>
        double.IsNaN(rate) ? "-" : (100.0 * rate).ToString("F1", CultureInfo.InvariantCulture) + "%";

    private static string FileSize(string path)
    {
        double bytes = new FileInfo(path).Length;
        return bytes >= 1 << 20
            ? (bytes / (1 << 20)).ToString("F1", CultureInfo.InvariantCulture) + " MiB"
            : (bytes / 1024).ToString("F1", CultureInfo.InvariantCulture) + " KiB";
    }

    /// <summary>Writes progress lines to stderr synchronously (<see cref="Progress{T}"/> would post them to the thread pool out of order).</summary>
    private sealed class StderrProgress : IProgress<string>
    {
        public void Report(string value) => Console.Error.WriteLine(value);
    }
}
