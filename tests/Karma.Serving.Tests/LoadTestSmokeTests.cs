using Karma.Core.Package;
using Karma.LoadTesting;

namespace Karma.Serving.Tests;

/// <summary>
/// The load tester against a server of its own, run alone (<see cref="OwnServerGroup"/>): the smoke runs demand every call
/// answered at 40–100 req/s, which a shared server cannot promise while other test classes load the same two cores.
/// </summary>
[Collection(OwnServerGroup.Name)]
public sealed class LoadTestSmokeTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static LoadTestRunner Runner() => new(ItemCatalogFile.Read(Path.Combine(ServerFixture.ModelPath, ItemCatalogFile.FileName)));

    private string Target => $"http://127.0.0.1:{server.GrpcPort}";

    private static string TempPng(string name) => Path.Combine(Path.GetTempPath(), $"karma-{name}-{Guid.NewGuid():N}.png");

    [Fact]
    public async Task ServiceCatalog_ReadsTheServedCatalogThroughListItems()
    {
        var file = ItemCatalogFile.Read(Path.Combine(ServerFixture.ModelPath, ItemCatalogFile.FileName));
        var (catalog, version) = await ServiceCatalog.FetchAsync(Target, progress: null, CancellationToken.None);
        Assert.StartsWith("karma-", version, StringComparison.Ordinal);
        Assert.Equal(file.Ids, catalog.Ids);
        Assert.Equal(file.Categories, catalog.Categories);
        Assert.Equal(file.Titles, catalog.Titles);
    }

    [Fact]
    public async Task LoadTest_AgainstTheRealServer_SendsOnScheduleAndReports()
    {
        var (result, timeline) = await Runner().RunAsync(new LoadTestOptions
        {
            Target = Target,
            Rate = 40,
            Duration = TimeSpan.FromSeconds(1),
            Warmup = TimeSpan.FromMilliseconds(250),
            Mix = "search:50,recall:20,prerank:20,encode:10",
        });
        Assert.Equal(40, result.Sent);
        Assert.Empty(result.Errors);
        Assert.True(result.Corrected.P50 > 0 && result.Corrected.P50 <= result.Corrected.Max);
        // From the due time is never shorter, except that a send may leave up to 1 ms early (timer granularity).
        Assert.True(result.Corrected.P99 >= result.Uncorrected.P99 - 1.5);
        Assert.Equal(4, result.Mix.Count);
        Assert.Equal(40, result.ByStatus[CallStatus.Ok].Count);
        Assert.Equal(40, timeline.Count);
        Assert.Null(result.Phases);
        Assert.Null(result.Probes);
        string png = TempPng("loadtest");
        LoadTestReport.SavePng(result, timeline, png);
        Assert.True(new FileInfo(png).Length > 1000);
        File.Delete(png);
        Assert.Contains("corrected (from due time)", LoadTestReport.Summary(result), StringComparison.Ordinal);
    }

    /// <summary>
    /// A tiny storm: 20 req/s, 100 req/s for a second, 20 req/s again, with health probes. Asserts the report's shape
    /// (phases, counts by due time, statuses, probes), not how fast anything was.
    /// </summary>
    [Fact]
    public async Task Storm_AgainstTheRealServer_ReportsPhasesStatusesAndProbes()
    {
        var (storm, run) = await StormTest.RunAsync(Runner(), new LoadTestOptions
        {
            Target = Target,
            Rate = 20,
            Duration = TimeSpan.FromSeconds(3),
            Warmup = TimeSpan.FromMilliseconds(250),
            Concurrency = 1000,
            Deadline = TimeSpan.FromSeconds(2),
            Mix = "search:50,recall:20,prerank:20,encode:10",
            Storm = new StormSettings(100, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)),
            Health = new HealthProbeOptions
            {
                GrpcTarget = new Uri(Target),
                HttpUrl = new Uri($"http://127.0.0.1:{server.HttpPort}/healthz"),
            },
        });
        var r = storm.Run;
        // Requests belong to phases by due time, so the counts follow from the schedule alone.
        Assert.Equal(["before", "storm", "after"], r.Phases!.Select(p => p.Name));
        Assert.Equal([20L, 100, 20], r.Phases!.Select(p => p.Sent));
        Assert.Equal([20.0, 100, 20], r.Phases!.Select(p => p.Rate));
        Assert.Equal(140, r.Sent);
        foreach (var phase in r.Phases!)
        {
            Assert.Equal(phase.Sent, phase.ByStatus.Values.Sum(s => s.Count)); // every request has an outcome
            Assert.Equal(phase.Ok, phase.ByStatus.GetValueOrDefault(CallStatus.Ok)?.Count ?? 0);
        }

        Assert.Equal(r.Sent, r.ByStatus.Values.Sum(s => s.Count));
        long ok = r.ByStatus.TryGetValue(CallStatus.Ok, out var okStats) ? okStats.Count : 0;
        Assert.Equal(r.Sent - ok, r.Errors.Values.Sum());
        Assert.Equal(140, run.Timeline.Count);
        Assert.Equal(3, r.PerSecond!.Count);
        Assert.Equal(140, r.PerSecond!.Sum(s => s.Sent));

        Assert.Equal(["grpc", "http"], r.Probes!.Select(p => p.Kind));
        Assert.All(r.Probes!, p =>
        {
            Assert.True(p.Sent > 0, $"{p.Kind}: no probes recorded");
            Assert.Equal(["after", "before", "storm"], p.ByPhase.Keys.Order());
            Assert.Equal(p.Sent, p.ByPhase.Values.Sum(x => x.Sent));
        });
        Assert.Equal(r.Probes!.Sum(p => p.Sent), run.Probes.Count);

        Assert.Equal(1, storm.StormStartSeconds);
        Assert.Equal(2, storm.StormEndSeconds);
        Assert.Equal(2 * storm.BaselineOkP99Ms, storm.RecoveryThresholdMs);
        string summary = StormReport.Summary(storm);
        foreach (string line in new[] { "before", "storm", "after", "grpc health during the storm", "http health during the storm", "recovery:", "late OK" })
        {
            Assert.Contains(line, summary, StringComparison.Ordinal);
        }

        string png = TempPng("storm");
        StormReport.SavePng(storm, run, png);
        Assert.True(new FileInfo(png).Length > 1000);
        File.Delete(png);
    }

    /// <summary>
    /// A tiny soak at a given maximum, sampling the real server's /metrics: the process figures the soak reports are
    /// found under the names the server exposes.
    /// </summary>
    [Fact]
    public async Task Soak_AgainstTheRealServer_SamplesProcessMetrics()
    {
        var (soak, run) = await SoakTest.RunAsync(Runner(), new LoadTestOptions
        {
            Target = Target,
            Duration = TimeSpan.FromSeconds(1.5),
            Warmup = TimeSpan.FromMilliseconds(250),
            Mix = "search:100",
        }, new SoakSettings
        {
            MaxRps = 40,
            Share = 0.5,
            MetricsUrl = new Uri($"http://127.0.0.1:{server.HttpPort}/metrics"),
            SampleEvery = TimeSpan.FromMilliseconds(500),
        });
        Assert.Equal(20, soak.Rate);
        Assert.False(soak.MaxRpsSearched);
        Assert.Equal(30, soak.Run.Sent);
        Assert.True(soak.Samples.Count >= 2, $"{soak.Samples.Count} samples"); // at the start and at the end at least
        Assert.All(soak.Samples, s =>
        {
            Assert.Null(s.Error);
            Assert.True(s.RssBytes > 0);
            Assert.True(s.GcHeapBytes > 0);
            Assert.NotNull(s.GcCollections);
            Assert.NotNull(s.ThreadPoolQueueLength);
            Assert.True(s.ThreadPoolThreads > 0);
            Assert.True(s.CpuSeconds > 0);
        });
        Assert.Equal(0, soak.Analysis.FailedScrapes);
        Assert.NotNull(soak.Analysis.RssStartMb);
        Assert.Null(soak.Analysis.RssGrowthMbPerMinute); // nothing after a 60 s warm-up in a 1.5 s run
        Assert.Contains("RSS:", SoakReport.Summary(soak), StringComparison.Ordinal);
        string png = TempPng("soak");
        SoakReport.SavePng(soak, run, png);
        Assert.True(new FileInfo(png).Length > 1000);
        File.Delete(png);
    }
}
