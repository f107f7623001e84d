namespace Karma.LoadTesting.Tests;

public sealed class SoakAnalysisTests
{
    private const double Mb = 1024 * 1024;

    private static ProcessSample Sample(double seconds, double rssMb, double heapMb = 20, double gen0 = 0, double queue = 0) => new()
    {
        Seconds = seconds,
        RssBytes = rssMb * Mb,
        GcHeapBytes = heapMb * Mb,
        GcCollections = new Dictionary<string, double> { ["gen0"] = gen0, ["gen1"] = gen0 / 10, ["gen2"] = 1 },
        ThreadPoolQueueLength = queue,
        ThreadPoolThreads = 4,
        GcAllocatedBytes = seconds * 10 * Mb,
        CpuSeconds = seconds * 0.5,
        GcPauseSeconds = seconds / 1000,
    };

    [Fact]
    public void Slope_IsTheLeastSquaresLine()
    {
        Assert.Equal(2, SoakAnalysis.Slope([(0, 1), (1, 3), (2, 5)])!.Value, 9);
        Assert.Equal(0.5, SoakAnalysis.Slope([(0, 0), (1, 1), (2, 0), (3, 2)])!.Value, 9); // noisy: fitted, not end-to-end
        Assert.Null(SoakAnalysis.Slope([(1, 5)]));
        Assert.Null(SoakAnalysis.Slope([(1, 5), (1, 6)]));
    }

    [Fact]
    public void RssGrowth_IsFittedAfterTheWarmup_InMbPerMinute()
    {
        // 10 minutes sampled every 5 s: RSS climbs 50 MB in the first 2 minutes (warm-up), then 0.5 MB/min.
        var samples = Enumerable.Range(0, 121).Select(i => i * 5.0)
            .Select(t => Sample(t, t < 120 ? 100 + 50 * t / 120 : 150 + 0.5 * (t - 120) / 60, gen0: t / 5, queue: t == 300 ? 12 : 0)).ToArray();
        var a = SoakAnalysis.Of(samples, 600);
        Assert.Equal(120, a.WarmupSeconds);       // 20% of 600 s beats 60 s
        Assert.Equal(97, a.SamplesFitted);        // 120 s … 600 s
        Assert.Equal(0.5, a.RssGrowthMbPerMinute!.Value, 6);
        Assert.Equal(100, a.RssStartMb!.Value, 6);
        Assert.Equal(154, a.RssEndMb!.Value, 6);
        Assert.Equal(0, a.GcHeapGrowthMbPerMinute!.Value, 9);
        Assert.Equal(120, a.GcCollections!["gen0"]);
        Assert.Equal(0, a.GcCollections["gen2"]);
        Assert.Equal(12, a.ThreadPoolQueueMax);
        Assert.Equal(4, a.ThreadPoolThreadsMax);
        Assert.Equal(10, a.AllocatedMbPerSecond!.Value, 6);
        Assert.Equal(0.5, a.CpuCores!.Value, 6);
        Assert.Equal(0.6, a.GcPauseSeconds!.Value, 6);
    }

    [Fact]
    public void ShortRuns_UseSixtySecondsOfWarmup_AndHaveNoSlopeWithoutSamplesAfterIt()
    {
        Assert.Equal(60, SoakAnalysis.WarmupFor(100));
        var a = SoakAnalysis.Of([Sample(0, 100), Sample(5, 101), Sample(10, 102)], 10);
        Assert.Null(a.RssGrowthMbPerMinute);
        Assert.Equal(0, a.SamplesFitted);
        Assert.Equal(102, a.RssEndMb!.Value, 6);
    }

    [Fact]
    public void FailedScrapesAndMissingMetrics_LeaveNulls()
    {
        var a = SoakAnalysis.Of([new ProcessSample { Seconds = 0, Error = "connection refused" }, new ProcessSample { Seconds = 5 }], 600);
        Assert.Equal(1, a.FailedScrapes);
        Assert.Null(a.RssStartMb);
        Assert.Null(a.RssMaxMb);
        Assert.Null(a.GcCollections);
        Assert.Null(a.ThreadPoolQueueMean);
        Assert.Null(a.AllocatedMbPerSecond);
        var empty = SoakAnalysis.Of([], 600);
        Assert.Null(empty.RssGrowthMbPerMinute);
        Assert.Null(empty.CpuCores);
    }
}
