using System.CommandLine;
using System.Text.Json;
using Karma.Core.Package;
using Karma.LoadTesting;

namespace Karma.Cli.Commands;

/// <summary><c>karma loadtest</c>: open-loop constant-rate load with coordinated-omission-corrected latency.</summary>
internal static class LoadTestCommand
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static Command Create()
    {
        var target = new Option<string>("--target") { Description = "Service address", DefaultValueFactory = _ => "http://localhost:50051" };
        var rps = new Option<double>("--rps") { Description = "Requests per second (open loop)", DefaultValueFactory = _ => 100 };
        var duration = new Option<double>("--duration") { Description = "Seconds per run", DefaultValueFactory = _ => 10 };
        var concurrency = new Option<int>("--concurrency") { Description = "Requests in flight at most", DefaultValueFactory = _ => 64 };
        var mix = new Option<string>("--mix") { Description = "kind:weight,… over search, recall, prerank, encode", DefaultValueFactory = _ => "search:80,recall:10,prerank:10" };
        var catalog = new Option<FileInfo>("--catalog") { Description = "Item catalog to draw histories from (a package's item_catalog.jsonl)", DefaultValueFactory = _ => new FileInfo("models/default/item_catalog.jsonl") };
        var output = new Option<DirectoryInfo>("--out") { Description = "Where loadtest.json and loadtest.png go", DefaultValueFactory = _ => new DirectoryInfo("runs/loadtest") };
        var findMax = new Option<bool>("--find-max") { Description = "Search for the highest rate that holds --slo-p99" };
        var slo = new Option<double>("--slo-p99") { Description = "p99 latency objective in ms (with --find-max)", DefaultValueFactory = _ => 50 };
        var seed = new Option<int>("--seed") { Description = "Seed of the generated requests", DefaultValueFactory = _ => 1 };
        var warmup = new Option<double>("--warmup") { Description = "Seconds of unrecorded load first", DefaultValueFactory = _ => 2 };
        var cmd = new Command("loadtest", "Open-loop load against a running service; latency corrected for coordinated omission")
        {
            target, rps, duration, concurrency, mix, catalog, output, findMax, slo, seed, warmup,
        };
        cmd.SetAction(async (parse, token) =>
        {
            try
            {
                RequestMix.Parse(parse.GetValue(mix)!);
            }
            catch (FormatException e)
            {
                Console.Error.WriteLine($"error: --mix: {e.Message}");
                return 2;
            }

            var items = ItemCatalogFile.Read(parse.GetValue(catalog)!.FullName);
            var runner = new LoadTestRunner(items);
            string outDir = parse.GetValue(output)!.FullName;
            Directory.CreateDirectory(outDir);
            LoadTestOptions Options(double rate) => new()
            {
                Target = parse.GetValue(target)!,
                Rate = rate,
                Duration = TimeSpan.FromSeconds(parse.GetValue(duration)),
                Concurrency = parse.GetValue(concurrency),
                Mix = parse.GetValue(mix)!,
                Seed = parse.GetValue(seed),
                Warmup = TimeSpan.FromSeconds(parse.GetValue(warmup)),
            };

            if (parse.GetValue(findMax))
            {
                var (best, bestResult, runs) = await MaxRateSearch.FindAsync(async rate =>
                {
                    var (r, _) = await runner.RunAsync(Options(rate), Console.Error, token);
                    Console.Error.WriteLine($"[find-max] {rate:F0} req/s: p99 {r.Corrected.P99:F1} ms, errors {r.ErrorRatio:P2}");
                    return r;
                }, parse.GetValue(rps), parse.GetValue(slo));
                await File.WriteAllTextAsync(Path.Combine(outDir, "find-max.json"), JsonSerializer.Serialize(runs, JsonOptions), token);
                Console.WriteLine(bestResult is null
                    ? $"no rate from {parse.GetValue(rps):F0} req/s held p99 <= {parse.GetValue(slo):F0} ms"
                    : $"highest rate holding p99 <= {parse.GetValue(slo):F0} ms: {best:F0} req/s\n" + LoadTestReport.Summary(bestResult));
                return 0;
            }

            var (result, timeline) = await runner.RunAsync(Options(parse.GetValue(rps)), Console.Error, token);
            await File.WriteAllTextAsync(Path.Combine(outDir, "loadtest.json"), JsonSerializer.Serialize(result, JsonOptions), token);
            LoadTestReport.SavePng(result, timeline, Path.Combine(outDir, "loadtest.png"));
            Console.WriteLine(LoadTestReport.Summary(result));
            Console.WriteLine($"wrote {Path.Combine(outDir, "loadtest.json")} and loadtest.png");
            return 0;
        });
        return cmd;
    }
}
