using System.CommandLine;
using System.Text.Json;
using Karma.Core.Package;
using Karma.LoadTesting;

namespace Karma.Cli.Commands;

/// <summary>
/// <c>karma loadtest</c>: open-loop load with coordinated-omission-corrected latency; one run, a search for the
/// highest sustainable rate (--find-max), a storm (--storm-rps) or a soak (--soak).
/// </summary>
internal static class LoadTestCommand
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static Command Create()
    {
        var target = new Option<string>("--target") { Description = "Service address", DefaultValueFactory = _ => "http://localhost:50051" };
        var rps = new Option<double>("--rps") { Description = "Requests per second (open loop); with a storm the normal rate, with --find-max/--soak where the search starts", DefaultValueFactory = _ => 100 };
        var duration = new Option<double>("--duration") { Description = "Seconds per run (a soak's length, e.g. 600)", DefaultValueFactory = _ => 10 };
        var concurrency = new Option<int>("--concurrency") { Description = "Requests in flight at most (a storm needs more than storm rate x deadline, e.g. 5000)", DefaultValueFactory = _ => 64 };
        var mix = new Option<string>("--mix") { Description = "kind:weight,… over search, recall, prerank, encode", DefaultValueFactory = _ => "search:80,recall:10,prerank:10" };
        var catalog = new Option<FileInfo?>("--catalog")
        {
            Description = "Item catalog to draw histories and queries from (an item_catalog.jsonl); default: the catalog the service " +
                "at --target serves, read through ListItems",
        };
        var package = new Option<DirectoryInfo?>("--package") { Description = "Draw histories and queries from this package's item_catalog.jsonl instead" };
        var output = new Option<DirectoryInfo>("--out") { Description = "Where the JSON and PNG go (loadtest, find-max, storm or soak)", DefaultValueFactory = _ => new DirectoryInfo("runs/loadtest") };
        var findMax = new Option<bool>("--find-max") { Description = "Search for the highest rate that holds --slo-p99" };
        var slo = new Option<double>("--slo-p99") { Description = "p99 latency objective in ms (--find-max, and a soak's search)", DefaultValueFactory = _ => 50 };
        var seed = new Option<int>("--seed") { Description = "Seed of the generated requests", DefaultValueFactory = _ => 1 };
        var warmup = new Option<double>("--warmup") { Description = "Seconds of unrecorded load first", DefaultValueFactory = _ => 2 };
        var deadline = new Option<double>("--deadline-ms") { Description = "Per-call deadline in ms", DefaultValueFactory = _ => 5000 };
        var stormRps = new Option<double?>("--storm-rps") { Description = "Storm: the rate during the storm (req/s)" };
        var stormSeconds = new Option<double?>("--storm-seconds") { Description = "Storm: how long it lasts (s)" };
        var stormAt = new Option<double?>("--storm-at") { Description = "Storm: when it starts, s after the warm-up (default: a third of the time outside the storm, whole seconds)" };
        var soak = new Option<bool>("--soak") { Description = "A long run (--duration) at --soak-share of the highest sustainable rate, sampling the service's memory, GC and thread pool" };
        var soakShare = new Option<double?>("--soak-share") { Description = "Soak: share of the maximum (default 0.8)" };
        var maxRps = new Option<double?>("--max-rps") { Description = "Soak: the highest sustainable rate, skipping the search" };
        var sampleSeconds = new Option<double?>("--sample-seconds") { Description = "Soak: seconds between samples of --metrics-url (default 5)" };
        var metricsUrl = new Option<string?>("--metrics-url") { Description = "Soak: the service's Prometheus endpoint (default http://HOST:8080/metrics, HOST from --target)" };
        var findMaxDuration = new Option<double?>("--find-max-duration") { Description = "Soak: seconds per search run before the soak (default 5)" };
        var probeHealth = new Option<bool?>("--probe-health") { Description = "Probe gRPC health and HTTP /healthz every 100 ms during the run (default: on for storm and soak)" };
        var httpTarget = new Option<string?>("--http-target") { Description = "The service's HTTP port for /healthz (default http://HOST:8080, HOST from --target)" };
        var cmd = new Command("loadtest", "Open-loop load against a running service; latency corrected for coordinated omission")
        {
            target, rps, duration, concurrency, mix, catalog, package, output, findMax, slo, seed, warmup, deadline,
            stormRps, stormSeconds, stormAt, soak, soakShare, maxRps, sampleSeconds, metricsUrl, findMaxDuration, probeHealth, httpTarget,
        };
        cmd.SetAction(async (parse, token) =>
        {
            var args = new LoadTestArguments
            {
                Target = parse.GetValue(target)!,
                Rps = parse.GetValue(rps),
                Duration = parse.GetValue(duration),
                Concurrency = parse.GetValue(concurrency),
                Warmup = parse.GetValue(warmup),
                DeadlineMs = parse.GetValue(deadline),
                SloP99 = parse.GetValue(slo),
                FindMax = parse.GetValue(findMax),
                StormRps = parse.GetValue(stormRps),
                StormSeconds = parse.GetValue(stormSeconds),
                StormAt = parse.GetValue(stormAt),
                Soak = parse.GetValue(soak),
                SoakShare = parse.GetValue(soakShare),
                MaxRps = parse.GetValue(maxRps),
                SampleSeconds = parse.GetValue(sampleSeconds),
                MetricsUrl = parse.GetValue(metricsUrl),
                FindMaxDuration = parse.GetValue(findMaxDuration),
                // A bare --probe-health parses as true; absent leaves the mode's default.
                ProbeHealth = parse.GetResult(probeHealth) is null ? null : parse.GetValue(probeHealth) ?? true,
                HttpTarget = parse.GetValue(httpTarget),
            };
            var errors = args.Validate().ToList();
            try
            {
                RequestMix.Parse(parse.GetValue(mix)!);
            }
            catch (FormatException e)
            {
                errors.Add($"--mix: {e.Message}");
            }

            if (errors.Count > 0)
            {
                errors.ForEach(e => Console.Error.WriteLine($"error: {e}"));
                return 2;
            }

            args.Warnings().ToList().ForEach(w => Console.Error.WriteLine($"warning: {w}"));
            var items = await CatalogAsync(parse.GetValue(catalog), parse.GetValue(package), args.Target, token);
            if (items is null)
            {
                return 2;
            }

            var runner = new LoadTestRunner(items);
            string outDir = parse.GetValue(output)!.FullName;
            Directory.CreateDirectory(outDir);
            var options = new LoadTestOptions
            {
                Target = args.Target,
                Rate = args.Rps,
                Duration = TimeSpan.FromSeconds(args.Duration),
                Concurrency = args.Concurrency,
                Mix = parse.GetValue(mix)!,
                Seed = parse.GetValue(seed),
                Warmup = TimeSpan.FromSeconds(args.Warmup),
                Deadline = TimeSpan.FromMilliseconds(args.DeadlineMs),
                Storm = args.Storm,
                Health = args.Health,
            };
            return args.Mode switch
            {
                LoadTestMode.FindMax => await FindMaxAsync(runner, options, args, outDir, token),
                LoadTestMode.Storm => await StormAsync(runner, options, outDir, token),
                LoadTestMode.Soak => await SoakAsync(runner, options, args, outDir, token),
                _ => await PlainAsync(runner, options, outDir, token),
            };
        });
        return cmd;
    }

    private static async Task<int> PlainAsync(LoadTestRunner runner, LoadTestOptions options, string outDir, CancellationToken token)
    {
        var (result, timeline) = await runner.RunAsync(options, Console.Error, token);
        await Write(outDir, "loadtest", result, token);
        LoadTestReport.SavePng(result, timeline, Path.Combine(outDir, "loadtest.png"));
        Console.WriteLine(LoadTestReport.Summary(result));
        Console.WriteLine($"wrote {Path.Combine(outDir, "loadtest.json")} and loadtest.png");
        return 0;
    }

    private static async Task<int> FindMaxAsync(LoadTestRunner runner, LoadTestOptions options, LoadTestArguments args, string outDir, CancellationToken token)
    {
        var (best, bestResult, runs) = await MaxRateSearch.FindAsync(async rate =>
        {
            var (r, _) = await runner.RunAsync(options with { Rate = rate }, Console.Error, token);
            Console.Error.WriteLine($"[find-max] {rate:F0} req/s: p99 {r.Corrected.P99:F1} ms, errors {r.ErrorRatio:P2}");
            return r;
        }, args.Rps, args.SloP99);
        await Write(outDir, "find-max", runs, token);
        Console.WriteLine(bestResult is null
            ? $"no rate from {args.Rps:F0} req/s held p99 <= {args.SloP99:F0} ms"
            : $"highest rate holding p99 <= {args.SloP99:F0} ms: {best:F0} req/s\n" + LoadTestReport.Summary(bestResult));
        return 0;
    }

    private static async Task<int> StormAsync(LoadTestRunner runner, LoadTestOptions options, string outDir, CancellationToken token)
    {
        var (result, run) = await StormTest.RunAsync(runner, options, Console.Error, token);
        await Write(outDir, "storm", result, token);
        StormReport.SavePng(result, run, Path.Combine(outDir, "storm.png"));
        Console.WriteLine(StormReport.Summary(result));
        Console.WriteLine($"wrote {Path.Combine(outDir, "storm.json")} and storm.png");
        return 0;
    }

    private static async Task<int> SoakAsync(LoadTestRunner runner, LoadTestOptions options, LoadTestArguments args, string outDir, CancellationToken token)
    {
        var settings = new SoakSettings
        {
            MaxRps = args.MaxRps,
            Share = args.SoakShare ?? 0.8,
            SloP99Ms = args.SloP99,
            FindMaxDuration = TimeSpan.FromSeconds(args.FindMaxDuration ?? 5),
            MetricsUrl = args.MetricsUri,
            SampleEvery = TimeSpan.FromSeconds(args.SampleSeconds ?? 5),
        };
        SoakResult result;
        LoadTestRun run;
        try
        {
            (result, run) = await SoakTest.RunAsync(runner, options, settings, Console.Error, token);
        }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }

        await Write(outDir, "soak", result, token);
        SoakReport.SavePng(result, run, Path.Combine(outDir, "soak.png"));
        Console.WriteLine(SoakReport.Summary(result));
        Console.WriteLine($"wrote {Path.Combine(outDir, "soak.json")} and soak.png");
        return 0;
    }

    private static Task Write<T>(string outDir, string name, T value, CancellationToken token)
        => File.WriteAllTextAsync(Path.Combine(outDir, name + ".json"), JsonSerializer.Serialize(value, JsonOptions), token);

    /// <summary>
    /// The catalog to draw from: --catalog, else --package's, else the service's own through ListItems. Null (after
    /// one line naming the problem and what to do) when none can be read.
    /// </summary>
    private static async Task<ItemCatalog?> CatalogAsync(FileInfo? file, DirectoryInfo? package, string target, CancellationToken token)
    {
        if (file is not null && package is not null)
        {
            Console.Error.WriteLine("error: --catalog and --package both name a catalog; pass one");
            return null;
        }

        string? path = file?.FullName ?? (package is null ? null : Path.Combine(package.FullName, ItemCatalogFile.FileName));
        if (path is not null)
        {
            if (!File.Exists(path))
            {
                Console.Error.WriteLine(file is not null
                    ? $"error: --catalog {path} does not exist"
                    : $"error: --package {package!.FullName} has no {ItemCatalogFile.FileName}; is it a model package?");
                return null;
            }

            try
            {
                return ItemCatalogFile.Read(path);
            }
            catch (InvalidDataException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return null;
            }
        }

        try
        {
            var (catalog, version) = await ServiceCatalog.FetchAsync(target, Console.Error, token);
            Console.Error.WriteLine($"[catalog] {catalog.Count:N0} items of {version} from {target} (ListItems)");
            return catalog;
        }
        catch (Grpc.Core.RpcException e)
        {
            Console.Error.WriteLine($"error: could not read the catalog from {target} ({e.StatusCode}: {e.Status.Detail}); " +
                "is the service running there? Or pass --catalog FILE / --package DIR");
            return null;
        }
    }
}
