using System.CommandLine;
using System.Globalization;
using Karma.Evaluation;

namespace Karma.Cli.Commands;

/// <summary>
/// <c>karma drift</c>: replays a data set's test requests through a package's drift monitor (the service's code, offline)
/// and prints what the monitor would show: how another domain's traffic, or a newer log, reads against the package's
/// reference before it reaches a replica.
/// </summary>
internal static class DriftCommand
{
    public static Command Create()
    {
        var package = new Option<DirectoryInfo>("--package") { Description = "Model package with a drift reference", Required = true };
        var data = new Option<DirectoryInfo>("--data") { Description = "Data directory whose test requests are replayed (history ids looked up by id)", Required = true };
        var halfLife = new Option<int>("--half-life") { Description = "Monitor half-life in requests (the service's Karma:DriftHalfLife)", DefaultValueFactory = _ => InterestReferenceBuilder.DefaultHalfLife };
        var threshold = new Option<double>("--threshold") { Description = "Alert threshold (the service's Karma:DriftThreshold)", DefaultValueFactory = _ => 0.05 };
        var cmd = new Command("drift", "Replay a data set's test requests through a package's interest drift monitor and print its divergence")
        {
            package, data, halfLife, threshold,
        };
        cmd.SetAction(parse => CliErrors.Run(() =>
        {
            var r = InterestReferenceBuilder.Replay(parse.GetValue(package)!.FullName, parse.GetValue(data)!.FullName, parse.GetValue(halfLife),
                parse.GetValue(threshold));
            string words = double.IsNaN(r.WordFinal)
                ? string.Empty
                : string.Create(CultureInfo.InvariantCulture,
                    $"; decoded words (one request in {InterestReferenceBuilder.DefaultWordSampling}): divergence peak {r.WordPeak:F4}, final {r.WordFinal:F4}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{r.Requests} requests replayed: divergence peak {r.Peak:F4}, final {r.Final:F4}; threshold {parse.GetValue(threshold):F4}; " +
                $"alerting for {r.AlertingShare:P1} of the requests after the first half-life{words}"));
            return r.Peak > parse.GetValue(threshold) ? 2 : 0;
        }));
        return cmd;
    }
}
